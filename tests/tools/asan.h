/* asan.h - ASAN is 1 when the test tools are built with AddressSanitizer
 * (gcc's __SANITIZE_ADDRESS__, clang's __has_feature), else 0.  Tools
 * that measure memory loosen their bounds under it: its shadow memory,
 * redzones and quarantine inflate every figure. */
#ifndef WH_TOOLS_ASAN_H
#define WH_TOOLS_ASAN_H

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif
#ifndef ASAN
#define ASAN 0
#endif

#endif
