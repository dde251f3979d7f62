/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The help screen: every key, and what the monitor keeps. */
#include <stdio.h>

#include "state.h"

/* Lines fit 78 cells so that nothing is cut at 80 columns. */
static const char *const keys_text[] = {
	"#Keys (they act at once; collection goes on while this is shown)",
	"  F1 h ?        this help (also from the detail and log screens)",
	"  q             quit on the main screen; on help/detail/log: back",
	"  F10 Ctrl-C    quit, from any screen",
	"  Tab Shift-Tab focus the next panel: sessions, latency, open connections",
	"  o             focus the Open panel (connections open now, top talkers)",
	"  Up Down j k   move the cursor          PgUp PgDn      a page",
	"  Home End      first / last row; at the top, new sessions scroll in",
	"  click a row   moves the cursor there and focuses its panel",
	"  Enter         details of the row: every field, full IPv6 addresses,",
	"                and for a destination its latency histogram",
	"  Esc           back from detail/help/log, out of a prompt; nothing on the",
	"                main screen (an empty filter clears the filter)",
	"  F6 > .        sort by the next column   < ,  by the previous column",
	"  I             invert the sort order     click a header: sort by it,",
	"                click it again: invert    (keys act on the focused panel)",
	"  F4 \\          filter prompt: Enter applies, Esc cancels, empty clears",
	"  F3 /          search prompt, empty: the cursor jumps to a row with the",
	"                text as you type; F3 in the prompt: next match (of the last",
	"                search if empty); Enter or Esc closes it; then n: next match",
	"  In prompts    Backspace deletes a character, Ctrl-U the whole line; up to",
	"                4095 bytes, long text scrolls sideways",
	"  any letter    clears the status line's one-time message",
	"  t T           replaying (-r): one interval back / forward in time",
	"  b             replaying: go to a time (HH:MM[:SS], or a date and time)",
	"  Home End      replaying: the start / the end of the recording",
	"  Z space       pause / resume: the screen and all it can scroll to hold",
	"                still (a copy, at most the history); collection goes on and",
	"                the status line counts what arrived. Sort and search work",
	"                on what is held; filter, g and w wait for the resume",
	"  B             BPF cost on / off: the probes' run time per event and as %",
	"                of one CPU (kernel statistics held only while on; --bpf-stats)",
	"  + -           refresh interval longer / shorter",
	"  g             latency grouping: destination, address, port, process, unit;",
	"                on the Open panel: connection, process, unit, remote host,",
	"                listeners (accept queue, ACC/s, DROPS; a full queue is lit)",
	"  w             latency window: since start, last 60 s, last 10 s",
	"  l             log of warnings and messages",
	"",
	"#Filter language (all terms must hold; ! negates a term)",
	"  pid=N  comm=TEXT (substring)  port=N (either side)  lport=N  rport=N",
	"  addr=IP or addr=CIDR  fam=4|6  dir=in|out      these apply to every panel",
	"  unit=NAME (exact, as UNIT shows it)  cgroup=PATH (the cgroup v2 path or",
	"      below it: cgroup=/system.slice); an unknown cgroup never matches",
	"  result=ok|fail  lat>MS  lat<MS  apply to connects only: the latency panel",
	"      keeps the matching connects, and no session matches them, so the",
	"      session table empties (negated, e.g. !result=ok, every session matches)",
	"  e.g.  port=443 !comm=curl      addr=10.0.0.0/8 result=fail",
	"  Command line: -f EXPR; -p PID -L PORTS -D PORTS -4 -6 filter in the kernel",
	"",
	"#Columns",
	"  Sessions: TIME of the end; UNIT the owner's systemd unit, container id",
	"  or cgroup tail (- unknown); DIR out (we connected) / in (accepted);",
	"  TX RX payload bytes; LIFE handshake start to close; RETR retransmitted",
	"  segments; RTT smoothed round-trip time at close.",
	"  Latency: CONN connects; FAIL failed: refused + timed out + other errors,",
	"  so REF/TMO (refused / timed out) need not add up to FAIL; FAIL% = FAIL/CONN;",
	"  P50 P90 P99 MAX LAST over answered connects; DIST log-scale histogram.",
	"  Open: a socket walk every refresh; TX/s RX/s payload bytes per second",
	"  since the last walk (- for a socket new in this walk); AGE >T: open",
	"  before tcplens started; UNIT from the owner's cgroup; the default sort",
	"  is TX/s+RX/s. Listeners: QUEUE waiting/limit (FULL past it), ACC/s",
	"  handshakes completed per second, DROPS the kernel's count at the queue.",
	"  A row with no answered connect shows there its time to failure, marked !",
	"  (connect() to the RST, or to the kernel giving up). Default order: FAIL%",
	"  descending, then P99: failing destinations first, then the slow ones.",
	"  Enter on a row: failures by result and by errno, e.g. EHOSTUNREACH 12.",
	"",
	"#Status line",
	"  sessions, connects and failures with rates; dropped: events lost in the",
	"  kernel, by cause (ring: buffer full, map: socket table full, missed:",
	"  state changes the kernel skipped); cpu: tcplens's own CPU, % of one CPU;",
	"  events/s taken in; bpf (B): probe run time per event and % of one CPU.",
	"",
};

void tl_help_draw(struct tl_ui *ui, struct tl_canvas *c, int y, int h)
{
	enum { NK = sizeof(keys_text) / sizeof(keys_text[0]) };
	const struct tl_options *o = ui->opt;
	const char *lines[NK + 9];
	char l2[160], l3[160], l5[160];
	size_t n = 0, i, cap = tl_model_history_cap(ui->m), ccap = tl_model_connects_cap(ui->m);

	snprintf(l2, sizeof(l2),
		 "  History: the newest %zu sessions are kept (now %zu); older ones go.",
		 cap, tl_model_history_len(ui->m));
	snprintf(l3, sizeof(l3),
		 "  Connects: the newest %zu are kept; with a filter the", ccap);
	snprintf(l5, sizeof(l5),
		 "  Latency rows: at most %zu per grouping; when all are taken, a new key",
		 o->max_dests);
	lines[n++] = "#What is kept";
	lines[n++] = l2;
	lines[n++] = l3;
	lines[n++] = "  latency panel is computed from these retained connects.";
	lines[n++] = l5;
	lines[n++] = "  takes the row of one idle for 10 s, whose counts fold into \"(other)\".";
	lines[n++] = "  Percentiles: at most 1% relative error; windows are exact merges.";
	lines[n++] = "  Open rate history: the newest 60 rates per open socket, gone at close.";
	lines[n++] = "";
	for (i = 0; i < NK; i++)
		lines[n++] = keys_text[i];
	tl_text_page_draw(ui, c, y, h, "Help: Esc or q to go back", lines, n);
}
