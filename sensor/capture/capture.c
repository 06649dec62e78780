/*
 * Capture backends by name. The table lists what this build has: libpcap
 * always; AF_PACKET and AF_XDP when their sources are in the module (the
 * CMakeLists defines YS_HAVE_AFPACKET / YS_HAVE_AFXDP then).
 */
#include "capture.h"

#include <string.h>

static const struct {
	const char *name;
	const struct ys_capture_ops *ops;
} ys_capture_backends[] = {
	{ "pcap-file", &ys_capture_pcap_file },
	{ "pcap", &ys_capture_pcap_live },
#ifdef YS_HAVE_AFPACKET
	{ "af-packet", &ys_capture_afpacket },
#endif
#ifdef YS_HAVE_AFXDP
	{ "af-xdp", &ys_capture_afxdp },
#endif
};

const struct ys_capture_ops *ys_capture_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(ys_capture_backends) / sizeof(ys_capture_backends[0]); i++) {
		if (!strcmp(ys_capture_backends[i].name, name))
			return ys_capture_backends[i].ops;
	}
	return NULL;
}
