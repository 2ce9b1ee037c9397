// SPDX-License-Identifier: GPL-2.0
/*
 * An HTTPS server that misbehaves on cue, for podcam-upload's tests:
 *
 *	fault-server --cert PEM --key PEM --port-file F --log F --store DIR
 *		[--script A,B,...] [--default ACTION] [--dump DIR]
 *
 * Listens on 127.0.0.1 on an ephemeral port (written to --port-file once
 * it listens). Request number N (counted over all connections) gets action
 * N of --script, later ones --default (201). Actions:
 *
 *	NNN		answer with status NNN (a 2xx stores the body in
 *			--store under the path, '/' made '_')
 *	NNN:S		the same with "Retry-After: S"
 *	reset		read the headers, then reset the connection (RST)
 *	stall		read half the body, log, then stop reading (for at
 *			most 30 s or until the client is seen to leave)
 *	redirect	301 to the same path on plain http
 *
 * Every request is logged as one line:
 *	START_USEC END_USEC ACTION METHOD PATH X-PODCAM-SHA256 BODY-SHA256 AUTH
 * with times from CLOCK_REALTIME, "-" for what is absent, AUTH the
 * Authorization header's scheme. --dump DIR keeps every request's head in
 * DIR (for checking signatures). One process per connection (fork), so a
 * stalled client blocks no one. Every answer closes its connection: a
 * client never reuses one, so it never retries a request on its own (curl
 * does when a reused connection dies) and each action meets one request.
 */

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "fs-util.h"
#include "hash.h"
#include "util.h"

#define MAX_ACTIONS 64
#define MAX_HEADER 16384
#define MAX_BODY (64u << 20)

static char *actions[MAX_ACTIONS];
static unsigned int n_actions;
static const char *default_action = "201";
static const char *log_path, *store_dir, *dump_dir;
static unsigned int *counter; /* shared by every connection's process */

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void log_request(uint64_t start, const char *action, const char *method,
			const char *path, const char *xsha, const char *bsha,
			const char *auth)
{
	char line[2048];
	int fd, n;

	n = snprintf(line, sizeof(line), "%llu %llu %s %s %s %s %s %s\n",
		     (unsigned long long)start, (unsigned long long)now_usec(),
		     action, method, path, *xsha ? xsha : "-",
		     *bsha ? bsha : "-", *auth ? auth : "-");
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	/* One write with O_APPEND: lines of processes never mix. */
	(void)write_full(fd, line, MIN((size_t)n, sizeof(line) - 1));
	close(fd);
}

struct conn {
	SSL *ssl;
	int fd;
	char buf[MAX_HEADER];
	size_t len; /* bytes in buf not consumed yet */
};

static int fill(struct conn *c)
{
	int n;

	if (c->len == sizeof(c->buf))
		return -EFBIG;
	n = SSL_read(c->ssl, c->buf + c->len, sizeof(c->buf) - c->len);
	if (n <= 0)
		return -EPIPE;
	c->len += n;
	return 0;
}

static void consume(struct conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

/* Copies header name's value (case-insensitive) out of a request head. */
static void header(const char *head, const char *name, char *ret, size_t max)
{
	size_t l = strlen(name);
	const char *p = head;

	ret[0] = '\0';
	while ((p = strstr(p, "\r\n"))) {
		p += 2;
		if (strncasecmp(p, name, l) == 0 && p[l] == ':') {
			const char *v = p + l + 1, *e;

			while (*v == ' ')
				v++;
			e = strstr(v, "\r\n");
			if (!e)
				return;
			snprintf(ret, max, "%.*s",
				 (int)MIN((size_t)(e - v), max - 1), v);
			return;
		}
	}
}

static int read_body(struct conn *c, size_t len, size_t want, char **ret)
{
	char *b = malloc(len + 1);
	size_t got = 0;

	if (!b)
		return -ENOMEM;
	while (got < want) {
		size_t k;

		if (c->len == 0 && fill(c) < 0) {
			free(b);
			return -EPIPE;
		}
		k = MIN(c->len, want - got);
		memcpy(b + got, c->buf, k);
		consume(c, k);
		got += k;
	}
	*ret = b;
	return 0;
}

static void respond(struct conn *c, int status, const char *extra)
{
	char msg[64], head[512];
	int n;

	snprintf(msg, sizeof(msg), "fault-server says %d\n", status);
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d Whatever\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n%s\r\n%s",
		     status, strlen(msg), extra, msg);
	SSL_write(c->ssl, head, n);
}

static void store(const char *path, const char *body, size_t len)
{
	char name[1024];
	_cleanup_close_ int dir = -EBADF;

	snprintf(name, sizeof(name), "%s", path + (path[0] == '/'));
	for (char *p = name; *p; p++)
		if (*p == '/')
			*p = '_';
	dir = open(store_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return;
	(void)unlinkat(dir, name, 0);
	(void)write_file_sync_at(dir, name, body, len, 0644);
}

static void stall(struct conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLRDHUP };

	/* Not reading any more: wait for the client to give up. */
	for (int i = 0; i < 300; i++) {
		if (poll(&p, 1, 100) > 0 &&
		    (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
			return;
	}
}

/* With --dump DIR: DIR/N.head holds request N's head, as received. */
static void dump_head(const char *head, size_t len)
{
	static unsigned int n;
	char name[PATH_MAX];

	if (!dump_dir)
		return;
	snprintf(name, sizeof(name), "%s/%d-%u.head", dump_dir, getpid(), n++);
	(void)write_file_sync_at(AT_FDCWD, name, head, len, 0644);
}

/* Serves one request; returns false when the connection is over. */
static bool serve_one(struct conn *c)
{
	char method[16], path[512], head[MAX_HEADER], xsha[80], auth[32],
		cl[32], ra[32], bsha[SHA256_HEX_LEN + 1] = "", extra[600];
	_cleanup_free_ char *body = NULL;
	const char *action, *end;
	size_t len, hl;
	uint64_t start;
	int status;

	while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4)))
		if (fill(c) < 0)
			return false;
	start = now_usec();
	hl = end - c->buf + 4;
	memcpy(head, c->buf, hl);
	head[hl] = '\0';
	consume(c, hl);
	dump_head(head, hl);
	if (sscanf(head, "%15s %511s", method, path) != 2)
		return false;
	header(head, "X-Podcam-Sha256", xsha, sizeof(xsha));
	header(head, "Authorization", auth, sizeof(auth));
	if (strchr(auth, ' '))
		*strchr(auth, ' ') = '\0';
	header(head, "Content-Length", cl, sizeof(cl));
	len = strtoul(cl, NULL, 10);
	if (len > MAX_BODY)
		return false;

	{
		unsigned int n =
			__atomic_fetch_add(counter, 1, __ATOMIC_SEQ_CST);

		action = n < n_actions ? actions[n] : default_action;
	}

	if (streq(action, "reset")) {
		struct linger l = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		log_request(start, action, method, path, xsha, "", auth);
		return false;
	}
	if (streq(action, "stall")) {
		_cleanup_free_ char *half = NULL;

		if (read_body(c, len, len / 2, &half) < 0)
			return false;
		/* Logged now: a stalled client's leaving is not seen. */
		log_request(start, action, method, path, xsha, "", auth);
		stall(c);
		return false;
	}
	if (read_body(c, len, len, &body) < 0)
		return false;
	sha256_hex(body, len, bsha);

	if (streq(action, "redirect")) {
		snprintf(extra, sizeof(extra),
			 "Location: http://127.0.0.1:9%s\r\n", path);
		respond(c, 301, extra);
		log_request(start, action, method, path, xsha, bsha, auth);
		return false;
	}
	status = atoi(action);
	extra[0] = '\0';
	if (strchr(action, ':')) {
		snprintf(ra, sizeof(ra), "%s", strchr(action, ':') + 1);
		snprintf(extra, sizeof(extra), "Retry-After: %s\r\n", ra);
	}
	if (status >= 200 && status < 300)
		store(path, body, len);
	respond(c, status, extra);
	log_request(start, action, method, path, xsha, bsha, auth);
	return false;
}

static void serve(SSL_CTX *ctx, int fd)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return;
	c->fd = fd;
	c->ssl = SSL_new(ctx);
	SSL_set_fd(c->ssl, fd);
	if (SSL_accept(c->ssl) == 1)
		while (serve_one(c))
			;
	SSL_free(c->ssl);
	close(fd);
	free(c);
}

static void parse_script(char *s)
{
	for (char *t = strtok(s, ","); t && n_actions < MAX_ACTIONS;
	     t = strtok(NULL, ","))
		actions[n_actions++] = t;
}

int main(int argc, char **argv)
{
	const char *cert = NULL, *key = NULL, *port_file = NULL;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	SSL_CTX *ctx;
	char port[16];
	int s, one = 1;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (streq(argv[i], "--cert"))
			cert = argv[i + 1];
		else if (streq(argv[i], "--key"))
			key = argv[i + 1];
		else if (streq(argv[i], "--port-file"))
			port_file = argv[i + 1];
		else if (streq(argv[i], "--log"))
			log_path = argv[i + 1];
		else if (streq(argv[i], "--store"))
			store_dir = argv[i + 1];
		else if (streq(argv[i], "--script"))
			parse_script(argv[i + 1]);
		else if (streq(argv[i], "--dump"))
			dump_dir = argv[i + 1];
		else if (streq(argv[i], "--default"))
			default_action = argv[i + 1];
		else
			return 2;
	}
	if (!cert || !key || !port_file || !log_path || !store_dir)
		return 2;

	counter = mmap(NULL, sizeof(*counter), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counter == MAP_FAILED)
		return 1;
	signal(SIGCHLD, SIG_IGN); /* no zombies */
	signal(SIGPIPE, SIG_IGN);

	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		ERR_print_errors_fp(stderr);
		return 1;
	}

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(s, 64) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &al) < 0) {
		perror("fault-server");
		return 1;
	}
	snprintf(port, sizeof(port), "%u\n", ntohs(a.sin_port));
	if (write_file_sync_at(AT_FDCWD, port_file, port, strlen(port), 0644) <
	    0)
		return 1;

	for (;;) {
		int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0)
			continue;
		if (fork() == 0) {
			/* A connection never outlives the server. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(s);
			serve(ctx, c);
			_exit(0);
		}
		close(c);
	}
}
