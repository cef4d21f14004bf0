#ifndef QUARRY_SPM_SHIM_H
#define QUARRY_SPM_SHIM_H
/* extern "C" shim over libsentencepiece; see shim.cpp. */
#endif
