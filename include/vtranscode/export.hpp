// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file export.hpp
/// @brief VTC_API marks what libvtranscode.so exports; everything else is hidden.
#pragma once

#if defined(_WIN32)
#define VTC_API __declspec(dllexport)
#elif defined(__GNUC__)
#define VTC_API __attribute__((visibility("default")))
#else
#define VTC_API
#endif
