// SPDX-License-Identifier: GPL-2.0
/*
 * libcamera capture backend, for cameras that only libcamera can drive
 * (ISPs, raw sensors behind a pipeline handler; vimc in the tests), behind
 * the C interface of capture.h. The only C++ in podcam.
 *
 * libcamera completes requests on its own thread. The slot that runs there
 * only appends the request to its capture's list and writes the capture's
 * eventfd; the daemon's sd-event loop reads it and does everything else:
 * the frame callback, requeueing, losing the camera. Each request owns one
 * buffer for good and is either queued to libcamera (at most LC_QUEUED at a
 * time), or held by the camera's ring as a frame, or idle; releasing a
 * frame requeues a request. No frame is copied.
 *
 * One CameraManager per process: started at the first open and kept (it
 * must run to see cameras come and go), restarted only while no camera is
 * open, when it holds a camera whose device went away unnoticed or may
 * have missed one that came back. docs/libcamera.md has the decisions.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/dma-buf.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <libcamera/libcamera.h>
#include <systemd/sd-event.h>

extern "C" {
#include "capture-libcamera.h"
#include "capture.h"
#include "util.h"
}

using namespace libcamera;

/* Requests kept with libcamera ("2 or 3", SPEC section 4). */
#define LC_QUEUED 3u
#define LC_MAX_BUFFERS 32u
/* A request's cookie: the capture's serial number, then the buffer index. */
#define LC_INDEX_BITS 8
/* How long capture_open() waits for two frames to learn the frame rate. */
#define LC_PERIOD_PROBE_MS 1000
/* The stream's health is checked this often; no frame for this long (or
 * five frame periods) is a stall. */
#define LC_WATCHDOG_USEC (1000 * 1000ULL)
#define LC_STALL_USEC (3 * 1000 * 1000ULL)
/* A camera that is not there: look again with a new CameraManager at most
 * this often (it may have come back unseen). */
#define LC_RESCAN_USEC (5 * 1000 * 1000ULL)

namespace {

struct LcBuffer {
	FrameBuffer *fb = nullptr;		/* an allocator's */
	std::unique_ptr<Request> request;
	void *map = MAP_FAILED;
	size_t map_length = 0;
	uint8_t *data = nullptr;		/* the frame's first byte */
	int dmabuf = -1;			/* for DMA_BUF_IOCTL_SYNC */
	bool queued = false;			/* with libcamera */
	bool held = false;			/* with the camera's ring */
};

struct LcCapture : capture {
	uint64_t serial = 0;
	sd_event *event = nullptr;
	sd_event_source *io = nullptr;
	sd_event_source *defer_lost = nullptr;
	sd_event_source *watchdog = nullptr;
	int lost_error = 0;
	bool lost = false;
	bool dead = false;		/* its device is gone: see lc_close() */
	int efd = -1;
	const capture_callbacks *cb = nullptr;
	void *userdata = nullptr;

	std::shared_ptr<Camera> camera;
	bool acquired = false, connected = false, started = false;
	std::unique_ptr<CameraConfiguration> config;
	Stream *stream = nullptr;
	std::vector<std::unique_ptr<FrameBufferAllocator>> allocators;
	std::vector<LcBuffer> bufs;
	unsigned int n_queued = 0;
	std::vector<dev_t> nodes;	/* the camera's video nodes */
	uint64_t last_done_usec = 0;

	uint32_t pixelformat = 0;		/* V4L2 fourcc, for frame_view */
	unsigned int width = 0, height = 0, stride = 0;
	size_t frame_bytes = 0;
	unsigned int period_usec = 0;
	char format[64] = "";

	uint64_t gaps = 0, errors = 0;
	unsigned int errors_in_row = 0;
	uint32_t last_sequence = 0;
	bool have_sequence = false;

	/* Written on libcamera's thread, under hub.lock. */
	Request *done[LC_MAX_BUFFERS] = {};
	unsigned int n_done = 0;
	bool removed = false;
};

/* The process's one CameraManager and the open captures its slots feed. */
struct Hub {
	std::mutex lock;
	std::unique_ptr<CameraManager> manager;
	std::map<uint64_t, LcCapture *> captures;	/* by serial */
	uint64_t next_serial = 1;
	/* Loop thread only: */
	uint64_t started_usec = 0;
	bool stale = false;	/* holds a camera whose device is gone */
};

Hub hub;

/*
 * Cameras whose device went away without libcamera noticing (it reports
 * removals for UVC only). libcamera 0.0.3 can neither stop them (it waits
 * for requests that cannot complete, and aborts) nor destroy them while
 * they run (their IPA thread would end the process): they stay, idle,
 * until exit. Loop thread only; never freed on purpose.
 */
std::vector<std::shared_ptr<Camera>> *graveyard;

void wake(int efd)
{
	uint64_t one = 1;

	/* Only fails when the counter is full: it is readable then. */
	(void)!write(efd, &one, sizeof(one));
}

/* libcamera's thread: a request is back. */
void on_request_completed(Request *request)
{
	std::lock_guard<std::mutex> guard(hub.lock);
	auto it = hub.captures.find(request->cookie() >> LC_INDEX_BITS);

	if (it == hub.captures.end())
		return;
	LcCapture *c = it->second;
	if (c->n_done < LC_MAX_BUFFERS)
		c->done[c->n_done++] = request;
	wake(c->efd);
}

/* libcamera's thread: a camera is gone (unplugged, driver unbound). */
void on_camera_removed(std::shared_ptr<Camera> camera)
{
	std::lock_guard<std::mutex> guard(hub.lock);

	for (auto &entry : hub.captures) {
		LcCapture *c = entry.second;

		if (c->camera == camera) {
			c->removed = true;
			wake(c->efd);
		}
	}
}

uint64_t clock_usec(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

bool hub_idle(void)
{
	std::lock_guard<std::mutex> guard(hub.lock);

	return hub.captures.empty();
}

void hub_stop(void)
{
	/* Stop libcamera's thread before the statics go, unless a camera
	 * is still open (exit() from elsewhere): then leave it running. */
	if (hub_idle())
		hub.manager.reset();
	else
		(void)hub.manager.release();
}

/*
 * Starts the CameraManager, or restarts it when nothing is open and it
 * holds a dead camera (restart) or may have missed a camera's return
 * (rescan, at most every LC_RESCAN_USEC). libcamera 0.0.3 reports a
 * removal only for UVC, and sees no arrival at all without udev's netlink
 * socket, which podcamd's sandbox does not allow.
 */
int hub_start(bool rescan, char **error)
{
	std::unique_ptr<CameraManager> manager;
	static bool at_exit;
	uint64_t now = clock_usec(CLOCK_MONOTONIC);
	int r;

	if (hub.manager && hub_idle() &&
	    (hub.stale ||
	     (rescan && now - hub.started_usec >= LC_RESCAN_USEC)))
		hub.manager.reset();
	if (hub.manager)
		return 0;
	/* libcamera logs to stderr, the journal: only its warnings, unless
	 * asked otherwise. Read when its logger starts, which is here. */
	setenv("LIBCAMERA_LOG_LEVELS", "*:WARN", 0);
	manager = std::make_unique<CameraManager>();
	r = manager->start();
	if (r < 0) {
		*error = strdup_printf("cannot start libcamera: %s",
				       strerror(-r));
		return r;
	}
	manager->cameraRemoved.connect(on_camera_removed);
	hub.manager = std::move(manager);
	hub.started_usec = now;
	hub.stale = false;
	if (!at_exit)
		at_exit = atexit(hub_stop) == 0;
	return 0;
}

LcCapture *to_lc(struct capture *c)
{
	return static_cast<LcCapture *>(c);
}

/* --- streaming, on the loop ------------------------------------------ */

int on_defer_lost(sd_event_source *s, void *userdata)
{
	LcCapture *c = static_cast<LcCapture *>(userdata);

	c->cb->lost(c->userdata, c->lost_error);
	return 0;
}

/* Whether one of the camera's video nodes has gone from the system. */
bool nodes_gone(const LcCapture *c)
{
	for (dev_t d : c->nodes) {
		char path[64];

		snprintf(path, sizeof(path), "/sys/dev/char/%u:%u", major(d),
			 minor(d));
		if (access(path, F_OK) < 0 && errno == ENOENT)
			return true;
	}
	return false;
}

/*
 * The camera is lost: told from the loop, never from inside a caller. A
 * camera whose device is gone is dead, and lc_close() must not stop it
 * (libcamera would wait for requests that cannot complete).
 */
void schedule_lost(LcCapture *c, int error)
{
	if (c->lost)
		return;
	c->lost = true;
	c->dead = error == -ENODEV || nodes_gone(c);
	c->lost_error = c->dead ? -ENODEV : error;
	c->io = sd_event_source_disable_unref(c->io);
	c->watchdog = sd_event_source_disable_unref(c->watchdog);
	if (sd_event_add_defer(c->event, &c->defer_lost, on_defer_lost, c) < 0)
		c->cb->lost(c->userdata, c->lost_error);
}

/* Unplugged (its nodes gone), or no frame for too long. */
int on_watchdog(sd_event_source *s, uint64_t usec, void *userdata)
{
	LcCapture *c = static_cast<LcCapture *>(userdata);
	uint64_t stall = MAX(LC_STALL_USEC, 5ULL * c->period_usec);

	if (nodes_gone(c)) {
		schedule_lost(c, -ENODEV);
		return 0;
	}
	if (c->n_queued > 0 && usec - MIN(usec, c->last_done_usec) > stall) {
		schedule_lost(c, -ETIMEDOUT);
		return 0;
	}
	return sd_event_source_set_time(s, usec + LC_WATCHDOG_USEC);
}

/* Hands the CPU the buffer (start) or gives it back (end). */
void sync_buffer(const LcBuffer &b, uint64_t flags)
{
	struct dma_buf_sync sync = { .flags = flags | DMA_BUF_SYNC_RW };

	/* Only exporters with caches need it; nothing to do on failure. */
	(void)ioctl(b.dmabuf, DMA_BUF_IOCTL_SYNC, &sync);
}

/* Keeps LC_QUEUED requests with libcamera from those nobody holds. */
int refill(LcCapture *c)
{
	for (LcBuffer &b : c->bufs) {
		int r;

		if (c->n_queued >= LC_QUEUED)
			break;
		if (b.queued || b.held)
			continue;
		b.request->reuse(Request::ReuseBuffers);
		r = c->camera->queueRequest(b.request.get());
		if (r < 0)
			return r;
		b.queued = true;
		c->n_queued++;
	}
	return 0;
}

void complete(LcCapture *c, Request *request)
{
	unsigned int i = request->cookie() & ((1u << LC_INDEX_BITS) - 1);
	struct capture_frame f = {};
	uint64_t ts, now_mono, now_real;
	size_t bytesused = 0;
	int r;

	if (i >= c->bufs.size() || !c->bufs[i].queued ||
	    c->bufs[i].request.get() != request) {
		schedule_lost(c, -EIO);
		return;
	}
	LcBuffer &b = c->bufs[i];
	b.queued = false;
	c->n_queued--;

	/* Cancelled while streaming: libcamera could not queue it. */
	if (request->status() == Request::RequestCancelled) {
		schedule_lost(c, -EIO);
		return;
	}
	const FrameMetadata &md = b.fb->metadata();
	for (const FrameMetadata::Plane &p : md.planes())
		bytesused += p.bytesused;
	if (md.status != FrameMetadata::FrameSuccess || bytesused == 0) {
		/* A corrupt frame: straight back, unless they all are. */
		c->errors++;
		if (++c->errors_in_row > 2 * c->bufs.size()) {
			schedule_lost(c, -EIO);
			return;
		}
		r = refill(c);
		if (r < 0)
			schedule_lost(c, r);
		return;
	}
	c->errors_in_row = 0;

	if (c->have_sequence && md.sequence > c->last_sequence + 1)
		c->gaps += md.sequence - c->last_sequence - 1;
	c->last_sequence = md.sequence;
	c->have_sequence = true;

	ts = md.timestamp / 1000;
	now_mono = clock_usec(CLOCK_MONOTONIC);
	now_real = clock_usec(CLOCK_REALTIME);
	f.id = i;
	f.view.data = b.data;
	f.view.bytesused = MIN(bytesused, c->frame_bytes);
	f.view.pixelformat = c->pixelformat;
	f.view.width = c->width;
	f.view.height = c->height;
	f.view.bytesperline = c->stride;
	f.mono_usec = ts;
	f.realtime_usec = now_real - MIN(now_real, now_mono - MIN(ts, now_mono));
	f.sequence = md.sequence;
	sync_buffer(b, DMA_BUF_SYNC_START);
	b.held = true;

	/* Feed libcamera first, so it never starves while we work. */
	r = refill(c);
	if (r < 0) {
		schedule_lost(c, r);
		return;
	}
	c->cb->frame(c->userdata, &f);
}

int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	LcCapture *c = static_cast<LcCapture *>(userdata);
	Request *done[LC_MAX_BUFFERS];
	unsigned int n_done;
	uint64_t count;
	bool removed;

	(void)!read(c->efd, &count, sizeof(count));
	c->last_done_usec = clock_usec(CLOCK_MONOTONIC);
	{
		std::lock_guard<std::mutex> guard(hub.lock);

		n_done = c->n_done;
		memcpy(done, c->done, n_done * sizeof(done[0]));
		c->n_done = 0;
		removed = c->removed;
	}
	if (removed) {
		schedule_lost(c, -ENODEV);
		return 0;
	}
	for (unsigned int i = 0; i < n_done && !c->lost; i++)
		complete(c, done[i]);
	return 0;
}

/* --- the capture_ops ---------------------------------------------------- */

void lc_release(struct capture *base, unsigned int id)
{
	LcCapture *c = to_lc(base);
	int r;

	if (id >= c->bufs.size() || !c->bufs[id].held)
		return;
	sync_buffer(c->bufs[id], DMA_BUF_SYNC_END);
	c->bufs[id].held = false;
	if (c->lost)
		return;
	r = refill(c);
	if (r < 0)
		schedule_lost(c, r);
}

const char *lc_format(struct capture *base)
{
	return to_lc(base)->format;
}

uint64_t lc_dropped(struct capture *base)
{
	LcCapture *c = to_lc(base);

	return c->gaps + c->errors;
}

unsigned int lc_ring_size(struct capture *base)
{
	return to_lc(base)->bufs.size() - LC_QUEUED;
}

unsigned int lc_frame_period(struct capture *base)
{
	return to_lc(base)->period_usec;
}

void lc_close(struct capture *base)
{
	LcCapture *c = to_lc(base);
	bool alive = !c->dead, removed;

	{
		/* From here on libcamera's thread leaves c alone. */
		std::lock_guard<std::mutex> guard(hub.lock);

		hub.captures.erase(c->serial);
		removed = c->removed;
	}
	c->io = sd_event_source_disable_unref(c->io);
	c->defer_lost = sd_event_source_disable_unref(c->defer_lost);
	c->watchdog = sd_event_source_disable_unref(c->watchdog);
	/* Stopping cancels and completes what is queued; a dead camera's
	 * requests never complete, so it is not stopped. */
	if (c->started && alive)
		(void)c->camera->stop();
	if (c->connected && alive)
		c->camera->requestCompleted.disconnect(on_request_completed);
	for (LcBuffer &b : c->bufs)
		if (b.map != MAP_FAILED)
			munmap(b.map, b.map_length);
	c->bufs.clear();
	c->allocators.clear();
	c->config.reset();
	if (c->acquired && alive)
		(void)c->camera->release();
	if (c->dead && !removed) {
		/* The next open starts a CameraManager without it. */
		hub.stale = true;
		try {
			if (!graveyard)
				graveyard = new std::vector<std::shared_ptr<Camera>>;
			graveyard->push_back(c->camera);
		} catch (const std::bad_alloc &) {
		}
	}
	c->camera.reset();
	safe_close(c->efd);
	delete c;
}

/* --- opening ------------------------------------------------------------ */

std::string camera_list(void)
{
	std::string s;

	for (const std::shared_ptr<Camera> &cam : hub.manager->cameras())
		s += std::string(s.empty() ? "'" : ", '") + cam->id() + "'";
	return s;
}

std::shared_ptr<Camera> lookup(const camera_config *cfg)
{
	std::vector<std::shared_ptr<Camera>> cams;

	if (cfg->libcamera_id)
		return hub.manager->get(cfg->libcamera_id);
	cams = hub.manager->cameras();
	return cams.empty() ? nullptr : cams.front();
}

/* The camera's video nodes, to see it go (libcamera may not tell). */
void find_nodes(LcCapture *c)
{
	DIR *dir = opendir("/sys/class/video4linux");
	struct dirent *de;

	while (dir && (de = readdir(dir))) {
		char path[PATH_MAX];
		unsigned int maj, min;
		FILE *f;
		int n;

		if (!startswith(de->d_name, "video"))
			continue;
		snprintf(path, sizeof(path), "/sys/class/video4linux/%s/dev",
			 de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		n = fscanf(f, "%u:%u", &maj, &min);
		fclose(f);
		if (n == 2 && hub.manager->get(makedev(maj, min)) == c->camera)
			c->nodes.push_back(makedev(maj, min));
	}
	if (dir)
		closedir(dir);
}

int find_camera(LcCapture *c, const camera_config *cfg, char **error)
{
	int r;

	r = hub_start(false, error);
	if (r < 0)
		return r;
	c->camera = lookup(cfg);
	if (!c->camera) {
		/* Not there, or back without libcamera noticing. */
		r = hub_start(true, error);
		if (r < 0)
			return r;
		c->camera = lookup(cfg);
	}
	if (!c->camera && cfg->libcamera_id) {
		std::string ids = camera_list();

		*error = strdup_printf("libcamera has no camera '%s' (%s%s)",
				       cfg->libcamera_id,
				       ids.empty() ? "it has none" : "it has ",
				       ids.c_str());
		return -ENODEV;
	}
	if (!c->camera) {
		*error = strdup_printf("libcamera finds no camera");
		return -ENODEV;
	}
	find_nodes(c);
	return 0;
}

std::string formats_list(const std::vector<PixelFormat> &formats)
{
	std::string s;

	for (const PixelFormat &f : formats)
		s += (s.empty() ? "" : " ") + f.toString();
	return s.empty() ? "none" : s;
}

/* Picks the format and a size within Size=, and configures the camera. */
int configure(LcCapture *c, const camera_config *cfg, char **error)
{
	const char *id = c->camera->id().c_str();
	CameraConfiguration::Status status;
	std::vector<PixelFormat> offered;
	std::vector<uint32_t> fourccs;
	uint32_t want;
	int r;

	c->config = c->camera->generateConfiguration({ StreamRole::Viewfinder });
	if (!c->config || c->config->empty()) {
		*error = strdup_printf("libcamera camera '%s' has no video stream",
				       id);
		return -EMEDIUMTYPE;
	}
	StreamConfiguration &sc = c->config->at(0);

	offered = sc.formats().pixelformats();
	for (const PixelFormat &f : offered)
		if (f.modifier() == 0)
			fourccs.push_back(f.fourcc());
	want = capture_libcamera_pick_format(fourccs.data(), fourccs.size(),
					     cfg->pixelformat);
	if (!want) {
		*error = strdup_printf("libcamera camera '%s' cannot give NV12, YUYV or packed RGB (it offers %s)",
				       id, formats_list(offered).c_str());
		return -EMEDIUMTYPE;
	}

	sc.pixelFormat = PixelFormat(want);
	sc.size = Size(cfg->width, cfg->height);
	sc.bufferCount = cfg->buffers;
	status = c->config->validate();
	if (status != CameraConfiguration::Invalid &&
	    (sc.size.width > cfg->width || sc.size.height > cfg->height)) {
		/* Rounded up past Size=: the largest listed size within. */
		std::vector<Size> sizes = sc.formats().sizes(sc.pixelFormat);
		std::vector<capture_size> within;
		int i;

		for (const Size &s : sizes)
			within.push_back({ s.width, s.height });
		i = capture_libcamera_pick_size(within.data(), within.size(),
						cfg->width, cfg->height);
		if (i >= 0) {
			sc.size = sizes[i];
			status = c->config->validate();
		}
	}
	if (status == CameraConfiguration::Invalid) {
		*error = strdup_printf("libcamera camera '%s' refuses %s %ux%u",
				       id, PixelFormat(want).toString().c_str(),
				       cfg->width, cfg->height);
		return -EMEDIUMTYPE;
	}
	c->pixelformat = frame_fourcc_from_drm(sc.pixelFormat.fourcc());
	if (!c->pixelformat || sc.pixelFormat.modifier() != 0) {
		*error = strdup_printf("libcamera camera '%s' gives %s, which podcam cannot encode",
				       id, sc.pixelFormat.toString().c_str());
		return -EMEDIUMTYPE;
	}
	if (sc.size.width > cfg->width || sc.size.height > cfg->height) {
		*error = strdup_printf("libcamera camera '%s' cannot give a frame within Size=%ux%u (smallest: %s)",
				       id, cfg->width, cfg->height,
				       sc.size.toString().c_str());
		return -EMEDIUMTYPE;
	}
	if (!frame_is_rgb(c->pixelformat) &&
	    (sc.size.width % 2 || sc.size.height % 2)) {
		*error = strdup_printf("libcamera camera '%s' gives an odd size %s",
				       id, sc.size.toString().c_str());
		return -EMEDIUMTYPE;
	}
	/* Masks are in Size= pixels: another size would move them. */
	if (cfg->n_masks > 0 &&
	    (sc.size.width != cfg->width || sc.size.height != cfg->height)) {
		*error = strdup_printf("libcamera camera '%s' gives %s, not Size=%ux%u, and PrivacyMask= needs the exact size",
				       id, sc.size.toString().c_str(),
				       cfg->width, cfg->height);
		return -EMEDIUMTYPE;
	}

	r = c->camera->configure(c->config.get());
	if (r < 0) {
		*error = strdup_printf("cannot configure libcamera camera '%s' for %s: %s",
				       id, sc.toString().c_str(), strerror(-r));
		return r;
	}
	c->stream = sc.stream();
	c->width = sc.size.width;
	c->height = sc.size.height;
	c->stride = sc.stride;
	snprintf(c->format, sizeof(c->format), "%s %ux%u",
		 sc.pixelFormat.toString().c_str(), c->width, c->height);
	return 0;
}

/*
 * The frame's planes must lie one after the other in one dma-buf, as
 * frame_view describes them (NV12: CbCr right after Y, same stride).
 */
int map_buffer(LcCapture *c, LcBuffer &b)
{
	const std::vector<FrameBuffer::Plane> &planes = b.fb->planes();
	size_t end, offset;

	if (planes.empty())
		return -EINVAL;
	b.dmabuf = planes[0].fd.get();
	offset = planes[0].offset;
	end = offset;
	for (const FrameBuffer::Plane &p : planes) {
		if (p.fd.get() != b.dmabuf || p.offset != end)
			return -EMEDIUMTYPE;
		end += p.length;
	}
	if (end - offset < c->frame_bytes)
		return -EMEDIUMTYPE;
	b.map = mmap(NULL, end, PROT_READ | PROT_WRITE, MAP_SHARED, b.dmabuf,
		     0);
	if (b.map == MAP_FAILED)
		return negative_errno();
	b.map_length = end;
	b.data = static_cast<uint8_t *>(b.map) + offset;
	return 0;
}

int allocate_buffers(LcCapture *c, const camera_config *cfg, char **error)
{
	const char *id = c->camera->id().c_str();
	unsigned int want = MIN(cfg->buffers, LC_MAX_BUFFERS);
	int r;

	/* An allocator gives the stream's bufferCount, which the pipeline
	 * may cap (vimc: 4); more allocators give more. */
	c->bufs.reserve(want);
	while (c->bufs.size() < want && c->allocators.size() < want) {
		auto a = std::make_unique<FrameBufferAllocator>(c->camera);

		r = a->allocate(c->stream);
		if (r < 0) {
			*error = strdup_printf("cannot allocate buffers for libcamera camera '%s': %s",
					       id, strerror(-r));
			return r;
		}
		if (r == 0)
			break;
		for (const std::unique_ptr<FrameBuffer> &fb :
		     a->buffers(c->stream)) {
			if (c->bufs.size() == want)
				break;
			c->bufs.emplace_back();
			c->bufs.back().fb = fb.get();
		}
		c->allocators.push_back(std::move(a));
	}
	if (c->bufs.size() <= LC_QUEUED) {
		*error = strdup_printf("libcamera camera '%s' gives %zu buffers, podcam needs more than %u",
				       id, c->bufs.size(), LC_QUEUED);
		return -ENOBUFS;
	}

	c->frame_bytes = c->config->at(0).frameSize;
	if (c->frame_bytes == 0)
		c->frame_bytes = (size_t)c->stride * c->height;
	for (size_t i = 0; i < c->bufs.size(); i++) {
		LcBuffer &b = c->bufs[i];

		r = map_buffer(c, b);
		if (r == -EMEDIUMTYPE || r == -EINVAL) {
			*error = strdup_printf("libcamera camera '%s' gives %s in a layout podcam cannot read (planes apart)",
					       id, c->format);
			return -EMEDIUMTYPE;
		}
		if (r < 0) {
			*error = strdup_printf("cannot map the buffers of libcamera camera '%s': %s",
					       id, strerror(-r));
			return r;
		}
		b.request = c->camera->createRequest(
			c->serial << LC_INDEX_BITS | i);
		if (!b.request)
			return -ENOMEM;
		r = b.request->addBuffer(c->stream, b.fb);
		if (r < 0) {
			*error = strdup_printf("cannot set up requests for libcamera camera '%s': %s",
					       id, strerror(-r));
			return r;
		}
	}
	return 0;
}

uint64_t done_timestamp(const LcCapture *c, unsigned int i)
{
	return c->done[i]->buffers().begin()->second->metadata().timestamp;
}

/*
 * The frame period: the configured rate where the camera takes one, else
 * measured over the first LC_QUEUED frames, which arrive while nothing is
 * requeued (vimc runs as fast as it can).
 */
void probe_period(LcCapture *c, const camera_config *cfg, bool rate_set)
{
	uint64_t deadline = clock_usec(CLOCK_MONOTONIC) +
			    LC_PERIOD_PROBE_MS * 1000ULL;
	uint64_t now, t0, t1;
	unsigned int n = 0;

	c->period_usec = 1000000 / cfg->fps;
	while (!rate_set && n < LC_QUEUED &&
	       (now = clock_usec(CLOCK_MONOTONIC)) < deadline) {
		struct pollfd p = { .fd = c->efd, .events = POLLIN };
		uint64_t count;

		if (poll(&p, 1, (int)((deadline - now + 999) / 1000)) <= 0)
			break;
		(void)!read(c->efd, &count, sizeof(count));
		std::lock_guard<std::mutex> guard(hub.lock);
		if (c->removed)
			break;
		n = c->n_done;
	}
	if (n >= 2) {
		std::lock_guard<std::mutex> guard(hub.lock);

		t0 = done_timestamp(c, 0);
		t1 = done_timestamp(c, n - 1);
		if (t1 > t0)
			c->period_usec = (unsigned int)MIN(
				(t1 - t0) / 1000 / (n - 1), 10000000ULL);
	}
	/* What arrived meanwhile is for on_io(). */
	wake(c->efd);
	snprintf(c->format + strlen(c->format),
		 sizeof(c->format) - strlen(c->format), " %ufps",
		 (1000000 + c->period_usec / 2) / MAX(c->period_usec, 1u));
}

int start(LcCapture *c, const camera_config *cfg, char **error)
{
	const char *id;
	bool rate_set = false;
	int r;

	r = find_camera(c, cfg, error);
	if (r < 0)
		return r;
	id = c->camera->id().c_str();

	c->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->efd < 0)
		return negative_errno();
	r = c->camera->acquire();
	if (r < 0) {
		*error = strdup_printf(r == -EBUSY ?
				"libcamera camera '%s' is in use (by another camera section or process)" :
				"cannot acquire libcamera camera '%s': %s",
				id, strerror(-r));
		return r;
	}
	c->acquired = true;
	r = configure(c, cfg, error);
	if (r < 0)
		return r;

	{
		std::lock_guard<std::mutex> guard(hub.lock);

		c->serial = hub.next_serial++;
		hub.captures[c->serial] = c;
	}
	c->camera->requestCompleted.connect(on_request_completed);
	c->connected = true;
	r = allocate_buffers(c, cfg, error);
	if (r < 0)
		return r;

	ControlList controls(c->camera->controls());
	/* By the ControlId: count(id) asks libcamera's list of every
	 * control there is, not this camera's (0.0.3). */
	if (c->camera->controls().find(&controls::FrameDurationLimits) !=
	    c->camera->controls().end()) {
		int64_t d = 1000000 / cfg->fps;

		controls.set(controls::FrameDurationLimits, { d, d });
		rate_set = true;
	}
	r = c->camera->start(&controls);
	if (r < 0) {
		*error = strdup_printf("cannot start libcamera camera '%s': %s",
				       id, strerror(-r));
		return r;
	}
	c->started = true;
	r = refill(c);
	if (r < 0) {
		*error = strdup_printf("cannot queue requests to libcamera camera '%s': %s",
				       id, strerror(-r));
		return r;
	}
	r = sd_event_add_io(c->event, &c->io, c->efd, EPOLLIN, on_io, c);
	if (r < 0) {
		*error = strdup_printf("cannot watch libcamera camera '%s': %s",
				       id, strerror(-r));
		return r;
	}
	probe_period(c, cfg, rate_set);
	c->last_done_usec = clock_usec(CLOCK_MONOTONIC);
	r = sd_event_add_time_relative(c->event, &c->watchdog, CLOCK_MONOTONIC,
				       LC_WATCHDOG_USEC, 0, on_watchdog, c);
	if (r >= 0)
		r = sd_event_source_set_enabled(c->watchdog, SD_EVENT_ON);
	if (r < 0) {
		*error = strdup_printf("cannot watch libcamera camera '%s': %s",
				       id, strerror(-r));
		return r;
	}
	return 0;
}

int lc_open(const camera_config *cfg, sd_event *event,
	    const capture_callbacks *cb, void *userdata, struct capture **ret,
	    char **ret_error)
{
	_cleanup_free_ char *error = NULL;
	LcCapture *c;
	int r;

	try {
		c = new LcCapture();
	} catch (const std::bad_alloc &) {
		return -ENOMEM;
	}
	c->ops = &capture_libcamera_ops;
	c->event = event;
	c->cb = cb;
	c->userdata = userdata;

	try {
		r = start(c, cfg, &error);
	} catch (const std::bad_alloc &) {
		r = -ENOMEM;
	} catch (const std::exception &e) {
		free(error);
		error = strdup_printf("libcamera failed: %s", e.what());
		r = -EIO;
	}
	if (r < 0) {
		lc_close(c);
		if (ret_error)
			*ret_error = TAKE_PTR(error);
		return r;
	}
	*ret = c;
	return 0;
}

} /* namespace */

/* --- the C interface ------------------------------------------------------ */

extern "C" {

const struct capture_ops capture_libcamera_ops = {
	.name = "libcamera",
	.open = lc_open,
	.release = lc_release,
	.format = lc_format,
	.dropped = lc_dropped,
	.ring_size = lc_ring_size,
	.frame_period_usec = lc_frame_period,
	.close = lc_close,
};

} /* extern "C" */
