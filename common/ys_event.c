/* Alert event helpers: being written (lead). */
#include "ys_event.h"
