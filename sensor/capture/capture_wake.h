/*
 * The wait the ring backends (AF_PACKET, AF_XDP) share: next() blocks in
 * poll() on its ring socket and on an eventfd that breakloop() signals, so a
 * signal handler or shutdown reaches a worker blocked in next(). Private to
 * the capture module.
 *
 * Threading: the eventfd belongs to one capture handle (one worker);
 * ys_capture_wake() may be called from any thread or a signal handler.
 */
#ifndef YS_CAPTURE_WAKE_H
#define YS_CAPTURE_WAKE_H

/*
 * Wait up to TIMEOUT_MS for RING_FD to be readable or WAKE_FD to be signalled.
 * Returns 0 to look at the ring again (data, timeout, or an interrupted poll),
 * -EINTR when ys_capture_wake() was called (the wakeup is consumed), -EIO when
 * the socket failed, another -errno when poll() or read() did.
 */
int ys_capture_wait(int ring_fd, int wake_fd, int timeout_ms);

/* Signal WAKE_FD. Async-signal-safe; the count stays until ys_capture_wait()
 * reads it, so a wakeup just before next() blocks is not lost. */
void ys_capture_wake(int wake_fd);

#endif /* YS_CAPTURE_WAKE_H */
