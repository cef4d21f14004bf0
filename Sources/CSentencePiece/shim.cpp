#include "spm_shim.h"
