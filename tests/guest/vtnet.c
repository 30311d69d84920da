/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vtnet: the UDP traffic tool of the guest tests, built with gcc -static so the same
 * binary runs in the busybox guest and in the host's peer namespace.
 *
 *   vtnet echo PORT IDLE_S MAX_S
 *	Echo every datagram back to its sender. Exits after IDLE_S seconds without a
 *	datagram (once one came), after MAX_S seconds in all, or on SIGTERM/SIGINT, and
 *	prints "RESULT echo_rx=N echo_tx=N echo_bytes=N".
 *   vtnet blast HOST PORT COUNT MAXLEN WINDOW CPUS FLOWS
 *	Send COUNT datagrams of mixed sizes (16..MAXLEN bytes of payload) to HOST:PORT and
 *	check every echo byte for byte. CPUS processes, each pinned to its own CPU so that
 *	virtio-net's XPS puts each on its own TX queue, each over FLOWS sockets (source
 *	ports) so the peer spreads the echoes over its RX queues. At most WINDOW datagrams
 *	per process are unanswered at a time, so nothing is dropped for want of room and
 *	every loss is a real one. Prints "RESULT udp_sent=N udp_recv=N udp_bad=N
 *	udp_lost=N udp_bytes=N udp_ms=N".
 *
 * Datagrams carry a 16-byte header (magic, sender, sequence, length) and a payload that
 * is a function of the sequence number, so a corrupted or misplaced echo is counted bad.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define VT_MAGIC     0x76746e31u /* "vtn1" */
#define VT_HDR	     16
#define VT_MAXPKT    65507
#define VT_MAXFLOWS  64
#define VT_MAXWINDOW 1024
#define VT_MAXCPUS   64
#define VT_ECHO_WAIT 3000 /* ms: an echo later than this counts as lost */

struct vt_hdr {
	uint32_t magic;
	uint32_t sender;
	uint32_t seq;
	uint32_t len;
};

struct vt_counts {
	unsigned long sent, recv, bad, lost, bytes;
};

static volatile sig_atomic_t vt_stop;

static void vt_on_signal(int sig)
{
	(void)sig;
	vt_stop = 1;
}

static long vt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Sizes walk the whole range 16..maxlen in a scattered order, both ends included. */
static unsigned vt_len_of(uint32_t seq, unsigned maxlen)
{
	unsigned span = maxlen - VT_HDR + 1;

	if (seq % 16 == 0)
		return maxlen;
	return VT_HDR + (unsigned)((seq * 7919u) % span);
}

static uint8_t vt_byte(uint32_t sender, uint32_t seq, unsigned i)
{
	return (uint8_t)(seq * 31u + sender * 17u + i);
}

static void vt_fill(uint8_t *buf, uint32_t sender, uint32_t seq, unsigned len)
{
	struct vt_hdr h = {htonl(VT_MAGIC), htonl(sender), htonl(seq), htonl(len)};

	memcpy(buf, &h, sizeof(h));
	for (unsigned i = VT_HDR; i < len; i++)
		buf[i] = vt_byte(sender, seq, i);
}

/* Returns the sequence number of a good echo, or -1 for a bad one. */
static long vt_check(const uint8_t *buf, size_t n, uint32_t sender)
{
	struct vt_hdr h;

	if (n < VT_HDR)
		return -1;
	memcpy(&h, buf, sizeof(h));
	if (ntohl(h.magic) != VT_MAGIC || ntohl(h.sender) != sender || ntohl(h.len) != n)
		return -1;
	for (unsigned i = VT_HDR; i < n; i++)
		if (buf[i] != vt_byte(sender, ntohl(h.seq), i))
			return -1;
	return ntohl(h.seq);
}

static int vt_echo(int port, int idle_s, int max_s)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	static uint8_t buf[VT_MAXPKT];
	unsigned long rx = 0, tx = 0, bytes = 0;
	long start = vt_now_ms(), last = 0;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int big = 4 << 20;

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("vtnet echo: socket/bind");
		return 1;
	}
	/* Room for a whole window of every flow while this process is not scheduled. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	printf("ECHO ready port=%d\n", port);
	fflush(stdout);
	while (!vt_stop) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long now = vt_now_ms();

		if (now - start > max_s * 1000L || (last && now - last > idle_s * 1000L))
			break;
		if (poll(&p, 1, 200) <= 0)
			continue;
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (n < 0)
			continue;
		rx++;
		last = vt_now_ms();
		if (sendto(fd, buf, n, 0, (struct sockaddr *)&from, fl) == n) {
			tx++;
			bytes += n;
		}
	}
	printf("RESULT echo_rx=%lu echo_tx=%lu echo_bytes=%lu\n", rx, tx, bytes);
	fflush(stdout);
	return 0;
}

struct vt_blast {
	struct sockaddr_in to;
	unsigned count, maxlen, window, flows;
};

/* One sender: keeps at most window datagrams unanswered, over flows sockets. */
static void vt_blast_one(const struct vt_blast *b, uint32_t sender, struct vt_counts *c)
{
	static uint8_t out[VT_MAXPKT], in[VT_MAXPKT];
	static long sent_at[VT_MAXWINDOW];
	static uint32_t slot_seq[VT_MAXWINDOW];
	static int fds[VT_MAXFLOWS];
	struct pollfd p[VT_MAXFLOWS];
	unsigned next = 0, done = 0, streak = 0;
	long outstanding = 0;

	memset(sent_at, 0, sizeof(sent_at));
	for (unsigned f = 0; f < b->flows; f++) {
		fds[f] = socket(AF_INET, SOCK_DGRAM, 0);
		if (fds[f] < 0 || connect(fds[f], (const struct sockaddr *)&b->to, sizeof(b->to))) {
			perror("vtnet blast: socket/connect");
			exit(1);
		}
		p[f].fd = fds[f];
		p[f].events = POLLIN;
	}
	while (done < b->count) {
		/* Fill the window. A slot's sent_at is 0 when it is free; a slow echo keeps
		 * its slot, so sending waits for it rather than reuse the slot. */
		while (next < b->count && outstanding < b->window && !sent_at[next % b->window]) {
			unsigned len = vt_len_of(next, b->maxlen);

			vt_fill(out, sender, next, len);
			if (send(fds[next % b->flows], out, len, 0) != (ssize_t)len)
				break; /* ENOBUFS and the like: retry after an echo frees room */
			sent_at[next % b->window] = vt_now_ms();
			slot_seq[next % b->window] = next;
			c->sent++;
			next++;
			outstanding++;
		}
		if (poll(p, b->flows, 100) < 0 && errno != EINTR)
			break;
		for (unsigned f = 0; f < b->flows; f++) {
			ssize_t n;

			while ((n = recv(fds[f], in, sizeof(in), MSG_DONTWAIT)) > 0) {
				long seq = vt_check(in, n, sender);

				/* Bad: corrupt, never sent, a duplicate, or later than
				 * VT_ECHO_WAIT (already counted lost). */
				if (seq < 0 || !sent_at[seq % b->window] ||
				    slot_seq[seq % b->window] != (uint32_t)seq) {
					c->bad++;
					continue;
				}
				sent_at[seq % b->window] = 0;
				streak = 0;
				c->recv++;
				c->bytes += n;
				outstanding--;
				done++;
			}
		}
		/* Expire echoes that are too late, oldest first. */
		long now = vt_now_ms();

		for (unsigned s = 0; s < b->window; s++) {
			if (sent_at[s] && now - sent_at[s] > VT_ECHO_WAIT) {
				sent_at[s] = 0;
				c->lost++;
				streak++;
				outstanding--;
				done++;
			}
		}
		/* A whole window lost in a row: the path is down, and waiting VT_ECHO_WAIT
		 * per window for the rest would only make a failing test slow. */
		if (vt_stop || streak >= b->window)
			break;
	}
	/* Given up on: whatever is still unanswered is lost, too. */
	c->lost += outstanding;
}

static int vt_blast(int argc, char **argv)
{
	struct vt_blast b = {.to = {.sin_family = AF_INET}};
	unsigned cpus;

	if (argc != 9 || inet_pton(AF_INET, argv[2], &b.to.sin_addr) != 1)
		return 2;
	b.to.sin_port = htons(atoi(argv[3]));
	b.count = strtoul(argv[4], NULL, 0);
	b.maxlen = strtoul(argv[5], NULL, 0);
	b.window = strtoul(argv[6], NULL, 0);
	cpus = strtoul(argv[7], NULL, 0);
	b.flows = strtoul(argv[8], NULL, 0);
	if (b.maxlen < VT_HDR || b.maxlen > VT_MAXPKT || !b.window || b.window > VT_MAXWINDOW ||
	    !cpus || cpus > VT_MAXCPUS || !b.flows || b.flows > VT_MAXFLOWS)
		return 2;

	/* Each child writes its own slot; the parent sums them after wait(). */
	struct vt_counts *c = mmap(NULL, sizeof(*c) * cpus, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	long start = vt_now_ms();

	if (c == MAP_FAILED)
		return 1;
	memset(c, 0, sizeof(*c) * cpus);
	for (unsigned i = 0; i < cpus; i++) {
		if (fork() == 0) {
			cpu_set_t set;
			struct vt_blast mine = b;

			CPU_ZERO(&set);
			CPU_SET(i, &set);
			sched_setaffinity(0, sizeof(set), &set);
			mine.count = b.count / cpus + (i < b.count % cpus);
			vt_blast_one(&mine, i + 1, &c[i]);
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
	struct vt_counts t = {0};

	for (unsigned i = 0; i < cpus; i++) {
		t.sent += c[i].sent;
		t.recv += c[i].recv;
		t.bad += c[i].bad;
		t.lost += c[i].lost;
		t.bytes += c[i].bytes;
	}
	printf("RESULT udp_sent=%lu udp_recv=%lu udp_bad=%lu udp_lost=%lu udp_bytes=%lu "
	       "udp_ms=%ld\n",
	       t.sent, t.recv, t.bad, t.lost, t.bytes, vt_now_ms() - start);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGTERM, vt_on_signal);
	signal(SIGINT, vt_on_signal);
	if (argc == 5 && !strcmp(argv[1], "echo"))
		return vt_echo(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	if (argc >= 2 && !strcmp(argv[1], "blast")) {
		int rc = vt_blast(argc, argv);

		if (rc != 2)
			return rc;
	}
	fprintf(stderr, "usage: vtnet echo PORT IDLE_S MAX_S\n"
			"       vtnet blast HOST PORT COUNT MAXLEN WINDOW CPUS FLOWS\n");
	return 2;
}
