// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "output.h"

struct tl_output {
	int fd;
	int old_flags;		/* -1: flags not changed */
	char *buf;		/* complete lines waiting: buf[head, head + len) */
	size_t cap, head, len;
	char *line;		/* the line being assembled: stdio hands out any chunk */
	size_t line_len;
	bool line_dropped;	/* the line being assembled is already lost */
	uint64_t dropped;
	int err;		/* the first write error, as a positive errno */
	bool regular;		/* a regular file: writes never wait for a reader */
	FILE *fp;
};

#define OUTPUT_STDIO_BUF (64u << 10)	/* bytes stdio gathers per write to us */

/* Appends the complete line o->line, or drops it whole. */
static void output_commit(struct tl_output *o)
{
	if (o->line_dropped || o->len + o->line_len > o->cap) {
		o->dropped++;
	} else {
		if (o->head + o->len + o->line_len > o->cap) {
			memmove(o->buf, o->buf + o->head, o->len);
			o->head = 0;
		}
		memcpy(o->buf + o->head + o->len, o->line, o->line_len);
		o->len += o->line_len;
	}
	o->line_len = 0;
	o->line_dropped = false;
}

/* A regular file takes everything at once: no copy, no line assembly. */
static void output_direct(struct tl_output *o, const char *data, size_t size)
{
	ssize_t n;

	while (!o->err && size) {
		n = write(o->fd, data, size);
		if (n > 0) {
			data += n;
			size -= (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			o->err = n < 0 ? errno : EIO;
		}
	}
}

static ssize_t output_cookie_write(void *cookie, const char *data, size_t size)
{
	struct tl_output *o = cookie;
	size_t done = 0;

	if (o->regular) {
		output_direct(o, data, size);
		return (ssize_t)size;
	}
	while (done < size) {
		const char *nl = memchr(data + done, '\n', size - done);
		size_t n = (nl ? (size_t)(nl - data) + 1 : size) - done;

		if (o->line_dropped || o->line_len + n > o->cap)
			o->line_dropped = true;	/* longer than the whole buffer */
		else
			memcpy(o->line + o->line_len, data + done, n);
		if (!o->line_dropped)
			o->line_len += n;
		done += n;
		if (nl)
			output_commit(o);
	}
	/* out as soon as the reader takes it; a full pipe waits for the loop */
	if (!o->err)
		tl_output_flush(o);
	/* always "written": a slow reader costs lines (counted), never a stdio error */
	return (ssize_t)size;
}

struct tl_output *tl_output_new(int fd, size_t cap)
{
	cookie_io_functions_t io = { .write = output_cookie_write };
	struct tl_output *o = calloc(1, sizeof(*o));
	struct stat st;
	int flags;

	if (!o)
		return NULL;
	o->fd = fd;
	o->old_flags = -1;
	o->cap = cap;
	o->buf = malloc(cap);
	o->line = malloc(cap);
	if (!o->buf || !o->line)
		goto fail;
	o->fp = fopencookie(o, "w", io);
	if (!o->fp)
		goto fail;
	/* fewer, larger writes; the buffer belongs to the stream */
	setvbuf(o->fp, NULL, _IOFBF, OUTPUT_STDIO_BUF);
	/* regular files do not block on a reader, and do not poll */
	o->regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	if (!o->regular) {
		flags = fcntl(fd, F_GETFL);
		if (flags >= 0 && !(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0)
			o->old_flags = flags;
	}
	return o;
fail:
	free(o->buf);
	free(o->line);
	free(o);
	errno = ENOMEM;
	return NULL;
}

void tl_output_free(struct tl_output *o)
{
	if (!o)
		return;
	/* flushing the stream only moves its bytes into our buffer */
	fclose(o->fp);
	if (o->old_flags >= 0)
		fcntl(o->fd, F_SETFL, o->old_flags);
	free(o->buf);
	free(o->line);
	free(o);
}

FILE *tl_output_file(struct tl_output *o)
{
	return o->fp;
}

int tl_output_fd(const struct tl_output *o)
{
	return o->fd;
}

/*
 * How much to hand to one write: whole lines up to PIPE_BUF bytes. A pipe
 * takes such a write whole or not at all, so a reader that stalls, or a
 * tcplens that exits while it does, never leaves half a line in the pipe
 * (a line longer than PIPE_BUF goes alone, and may be split).
 */
static size_t whole_lines(const char *p, size_t len)
{
	const char *nl;

	if (len <= PIPE_BUF)
		return len;
	nl = memrchr(p, '\n', PIPE_BUF);
	return nl ? (size_t)(nl - p) + 1 : len;
}

int tl_output_flush(struct tl_output *o)
{
	ssize_t n;

	while (!o->err && o->len) {
		n = write(o->fd, o->buf + o->head, whole_lines(o->buf + o->head, o->len));
		if (n > 0) {
			o->head += (size_t)n;
			o->len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return -EAGAIN;
		o->err = n < 0 ? errno : EIO;
	}
	if (o->err)
		return -o->err;
	o->head = 0;
	return 0;
}

bool tl_output_pending(const struct tl_output *o)
{
	return o->len > 0 && !o->err;
}

static uint64_t output_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t count_lines(const char *p, size_t len)
{
	uint64_t n = 0;

	for (const char *end = p + len; (p = memchr(p, '\n', (size_t)(end - p))); p++)
		n++;
	return n;
}

int tl_output_drain(struct tl_output *o, int timeout_ms)
{
	uint64_t end = output_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0), now;
	struct pollfd pfd = { .fd = o->fd, .events = POLLOUT };
	int ret;

	fflush(o->fp);
	if (o->line_len || o->line_dropped)
		output_commit(o);	/* a last line without its newline */
	while ((ret = tl_output_flush(o)) == -EAGAIN && (now = output_ms()) < end) {
		if (poll(&pfd, 1, (int)(end - now)) < 0 && errno != EINTR)
			break;
	}
	if (o->len) {
		o->dropped += count_lines(o->buf + o->head, o->len);
		o->head = o->len = 0;
	}
	return ret;
}

uint64_t tl_output_dropped(const struct tl_output *o)
{
	return o->dropped;
}
