/*
 * poll() on a ring socket plus an eventfd for breakloop(), shared by the
 * AF_PACKET and AF_XDP backends (see capture_wake.h).
 */
#include "capture_wake.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <unistd.h>

int ys_capture_wait(int ring_fd, int wake_fd, int timeout_ms)
{
	struct pollfd pfd[2] = {
		{ .fd = ring_fd, .events = POLLIN },
		{ .fd = wake_fd, .events = POLLIN },
	};
	uint64_t drain;

	/* For AF_XDP, poll() also kicks the kernel when the fill ring asks for a wakeup. */
	if (poll(pfd, 2, timeout_ms) < 0)
		return errno == EINTR ? 0 : -errno;
	if (pfd[0].revents & (POLLERR | POLLNVAL))
		return -EIO;
	if (pfd[1].revents & POLLIN) {
		if (read(wake_fd, &drain, sizeof(drain)) < 0 && errno != EAGAIN)
			return -errno;
		return -EINTR;
	}
	return 0;
}

void ys_capture_wake(int wake_fd)
{
	uint64_t one = 1;

	/* write(2) is async-signal-safe. A failure means the counter is saturated:
	 * a wakeup is already pending. */
	if (write(wake_fd, &one, sizeof(one)) < 0) {
		/* nothing to do */
	}
}
