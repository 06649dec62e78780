/*
 * PDF from the report's HTML with Debian's headless Chromium
 * (--print-to-pdf): the same document the auditor sees in a browser, with CJK
 * text shaped and embedded by a real layout engine, rather than a PDF writer
 * of our own that would have to do fonts and line breaking.
 *
 * Each call works in a private mkdtemp() folder (the HTML, the browser
 * profile, HOME for the browser and the PDF), runs Chromium in its own process
 * group so that on a timeout the whole group (browser, zygote, renderers) is
 * killed, and removes the folder on every path out.
 */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ys_log.h"

#define YS_PDF_MAX_BYTES (64u << 20)

static int ys_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void ys_rm_tree(const char *dir)
{
	nftw(dir, ys_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int ys_write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t off = 0;
	int ret = 0;

	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

static int ys_read_file(const char *path, char **out, size_t *len)
{
	struct stat st;
	char *buf;
	size_t off = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size <= 0 || (uint64_t)st.st_size > YS_PDF_MAX_BYTES) {
		close(fd);
		return -EIO;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			break;
		}
		off += (size_t)n;
	}
	close(fd);
	if (ret) {
		free(buf);
		return ret;
	}
	*out = buf;
	*len = off;
	return 0;
}

static int64_t ys_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for PID up to TIMEOUT_MS; on timeout kill its process group. 0, -ETIMEDOUT or -EIO. */
static int ys_wait_child(pid_t pid, int timeout_ms)
{
	int64_t deadline = ys_mono_ms() + timeout_ms;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
		if (r < 0 && errno != EINTR)
			return -EIO;
		if (ys_mono_ms() > deadline) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -ETIMEDOUT;
		}
		usleep(20000);
	}
}

int ys_report_html_to_pdf(const char *html, size_t len, const char *chromium, int timeout_ms,
			  char **pdf, size_t *pdflen)
{
	char dir[] = "/tmp/yunshao-report-XXXXXX";
	char html_path[64], pdf_path[64], log_path[64], arg_profile[96], arg_pdf[96], url[96],
		home[80];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	pid_t pid;
	int ret;

	*pdf = NULL;
	*pdflen = 0;
	if (!chromium)
		chromium = YS_REPORT_DEFAULT_CHROMIUM;
	if (timeout_ms <= 0)
		timeout_ms = YS_REPORT_PDF_TIMEOUT_MS;
	if (access(chromium, X_OK))
		return -ENOSYS; /* not -ENOENT: that means "no such tenant" to the API */
	if (!mkdtemp(dir))
		return -errno;
	snprintf(html_path, sizeof(html_path), "%s/report.html", dir);
	snprintf(pdf_path, sizeof(pdf_path), "%s/report.pdf", dir);
	snprintf(log_path, sizeof(log_path), "%s/chromium.log", dir);
	snprintf(arg_profile, sizeof(arg_profile), "--user-data-dir=%s/profile", dir);
	snprintf(arg_pdf, sizeof(arg_pdf), "--print-to-pdf=%s", pdf_path);
	snprintf(url, sizeof(url), "file://%s", html_path);
	snprintf(home, sizeof(home), "HOME=%s", dir);
	ret = ys_write_file(html_path, html, len);
	if (ret)
		goto out_rm;

	{
		char *const argv[] = { (char *)chromium,
				       "--headless",
				       "--no-sandbox",
				       "--disable-gpu",
				       "--disable-quic",
				       "--no-first-run",
				       "--disable-background-networking",
				       "--disable-component-update",
				       "--disable-sync",
				       "--disable-extensions",
				       "--no-pdf-header-footer",
				       "--run-all-compositor-stages-before-draw",
				       arg_profile,
				       arg_pdf,
				       url,
				       NULL };
		/* A minimal environment: no proxies or display from the service's own. */
		char *const envp[] = { home, "PATH=/usr/bin:/bin", "LANG=C.UTF-8", NULL };

		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 1, log_path, O_WRONLY | O_CREAT | O_TRUNC,
						 0600);
		posix_spawn_file_actions_adddup2(&fa, 1, 2);
		posix_spawnattr_init(&attr);
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
		posix_spawnattr_setpgroup(&attr, 0);
		ret = posix_spawn(&pid, chromium, &fa, &attr, argv, envp);
		posix_spawnattr_destroy(&attr);
		posix_spawn_file_actions_destroy(&fa);
	}
	if (ret) {
		ret = -ret;
		goto out_rm;
	}
	ret = ys_wait_child(pid, timeout_ms);
	if (ret == 0)
		ret = ys_read_file(pdf_path, pdf, pdflen);
	if (ret == 0 && (*pdflen < 5 || memcmp(*pdf, "%PDF-", 5) != 0)) {
		free(*pdf);
		*pdf = NULL;
		*pdflen = 0;
		ret = -EIO;
	}
	if (ret) {
		char *log = NULL;
		size_t loglen = 0;

		/* Keep the browser's own words: its log dies with the folder. */
		if (ys_read_file(log_path, &log, &loglen) == 0) {
			ys_err("report", "chromium --print-to-pdf failed: %s: %.*s", strerror(-ret),
			       (int)(loglen > 400 ? 400 : loglen), log);
			free(log);
		} else {
			ys_err("report", "chromium --print-to-pdf failed: %s", strerror(-ret));
		}
	}
out_rm:
	ys_rm_tree(dir);
	return ret;
}
