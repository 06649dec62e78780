/* Configuration loader: being written (lead). */
#include "ys_config.h"
