/* <string.h> for lwIP inside the kernel: the kernel's own string functions. */
#include "kernel/lib/string.h"
