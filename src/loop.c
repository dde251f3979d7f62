// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "loop.h"

#define LOOP_MAX_FDS 8

struct loop_source {
	int fd;
	tl_loop_cb cb;
	void *ctx;
};

struct tl_loop {
	int epfd;
	int timerfd;
	int sigfd;
	struct loop_source fds[LOOP_MAX_FDS];
	int nfds;
	struct loop_source timer;
	struct loop_source sig;
	struct loop_source out;		/* fd -1: not watched */
	tl_loop_cb on_quit, on_winch;
	void *sig_ctx;
};

struct tl_loop *tl_loop_new(void)
{
	struct tl_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->timerfd = -1;
	l->sigfd = -1;
	l->out.fd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int err = errno;

		free(l);
		errno = err;
		return NULL;
	}
	return l;
}

void tl_loop_free(struct tl_loop *l)
{
	if (!l)
		return;
	if (l->timerfd >= 0)
		close(l->timerfd);
	if (l->sigfd >= 0)
		close(l->sigfd);
	close(l->epfd);
	free(l);
}

/* The epoll tag is the address of the source, so dispatch needs no lookup. */
static int loop_watch(struct tl_loop *l, int fd, struct loop_source *src)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = src };

	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	return 0;
}

int tl_loop_add_fd(struct tl_loop *l, int fd, tl_loop_cb cb, void *ctx)
{
	struct loop_source *src;
	int err;

	if (l->nfds == LOOP_MAX_FDS)
		return -ENOSPC;
	src = &l->fds[l->nfds];
	*src = (struct loop_source){ .fd = fd, .cb = cb, .ctx = ctx };
	err = loop_watch(l, fd, src);
	if (!err)
		l->nfds++;
	return err;
}

int tl_loop_watch_out(struct tl_loop *l, int fd, bool on, tl_loop_cb cb, void *ctx)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = &l->out };

	if (!on) {
		if (l->out.fd >= 0 && epoll_ctl(l->epfd, EPOLL_CTL_DEL, l->out.fd, NULL))
			return -errno;
		l->out.fd = -1;
		return 0;
	}
	if (l->out.fd >= 0 && l->out.fd != fd)
		return -EBUSY;
	l->out.cb = cb;
	l->out.ctx = ctx;
	if (l->out.fd == fd)
		return 0;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	l->out.fd = fd;
	return 0;
}

int tl_loop_set_timer(struct tl_loop *l, uint64_t period_ns, tl_loop_cb cb, void *ctx)
{
	struct itimerspec its = { 0 };
	int err;

	if (l->timerfd < 0) {
		l->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (l->timerfd < 0)
			return -errno;
		l->timer.fd = l->timerfd;
		err = loop_watch(l, l->timerfd, &l->timer);
		if (err)
			return err;
	}
	l->timer.cb = cb;
	l->timer.ctx = ctx;
	its.it_interval.tv_sec = period_ns / 1000000000;
	its.it_interval.tv_nsec = period_ns % 1000000000;
	its.it_value = its.it_interval;
	if (timerfd_settime(l->timerfd, 0, &its, NULL))
		return -errno;
	return 0;
}

int tl_loop_set_signals(struct tl_loop *l, tl_loop_cb on_quit, tl_loop_cb on_winch, void *ctx)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGWINCH);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	if (l->sigfd < 0) {
		l->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
		if (l->sigfd < 0)
			return -errno;
		l->sig.fd = l->sigfd;
		if (loop_watch(l, l->sigfd, &l->sig))
			return -errno;
	}
	l->on_quit = on_quit;
	l->on_winch = on_winch;
	l->sig_ctx = ctx;
	return 0;
}

static int loop_signals(struct tl_loop *l)
{
	struct signalfd_siginfo si;
	int ret = 0;

	while (!ret && read(l->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGWINCH) {
			if (l->on_winch)
				ret = l->on_winch(l->sig_ctx);
		} else if (l->on_quit) {
			ret = l->on_quit(l->sig_ctx);
		} else {
			ret = 1;
		}
	}
	return ret;
}

static int loop_timer(struct tl_loop *l)
{
	uint64_t expirations;

	/* missed periods are not replayed: one tick per wake-up is enough */
	if (read(l->timerfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return -errno;
	return l->timer.cb ? l->timer.cb(l->timer.ctx) : 0;
}

int tl_loop_run(struct tl_loop *l)
{
	struct epoll_event evs[LOOP_MAX_FDS + 3];

	for (;;) {
		int n = epoll_wait(l->epfd, evs, LOOP_MAX_FDS + 3, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			struct loop_source *src = evs[i].data.ptr;
			int ret;

			if (src == &l->out && l->out.fd < 0)
				continue;	/* unwatched by an earlier callback of this round */
			if (src->fd == l->sigfd)
				ret = loop_signals(l);
			else if (src->fd == l->timerfd)
				ret = loop_timer(l);
			else
				ret = src->cb(src->ctx);
			if (ret)
				return ret;
		}
	}
}
