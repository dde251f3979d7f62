def run(ctx):
	pass
