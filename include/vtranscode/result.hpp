// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file result.hpp
/// @brief vtc::Result<T>: a value or a vtc::Error, with the std::expected surface.
///
/// Meson 1.0 caps cpp_std at c++20, so std::expected is not available yet. This
/// class keeps its names (has_value, value, error, and_then, transform, value_or)
/// so moving to `template <class T> using Result = std::expected<T, Error>` later
/// changes no caller.
#pragma once

#include "error.hpp"

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

namespace vtc {

/// Wraps an Error so that `return Unexpected(err)` converts to any Result<T>.
class Unexpected {
public:
    explicit Unexpected(Error error) : error_(std::move(error)) {}
    const Error &error() const & { return error_; }
    Error &&error() && { return std::move(error_); }

private:
    Error error_;
};

/// Shorthand for `Unexpected(make_error(...))`.
inline Unexpected fail(Errc code, std::string stage, std::string file, std::string message) {
    return Unexpected(make_error(code, std::move(stage), std::move(file), std::move(message)));
}

template <class T>
class [[nodiscard]] Result {
public:
    using value_type = T;

    Result(T value) : storage_(std::in_place_index<0>, std::move(value)) {}
    Result(Unexpected unexpected)
        : storage_(std::in_place_index<1>, std::move(unexpected).error()) {}

    bool has_value() const noexcept { return storage_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    /// The value; calling it on an error is a bug (asserts in debug builds).
    T &value() & {
        assert(has_value());
        return std::get<0>(storage_);
    }
    const T &value() const & {
        assert(has_value());
        return std::get<0>(storage_);
    }
    T &&value() && {
        assert(has_value());
        return std::get<0>(std::move(storage_));
    }
    T &operator*() & { return value(); }
    const T &operator*() const & { return value(); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }

    /// The error; calling it on a value is a bug (asserts in debug builds).
    const Error &error() const & {
        assert(!has_value());
        return std::get<1>(storage_);
    }
    Error &&error() && {
        assert(!has_value());
        return std::get<1>(std::move(storage_));
    }

    template <class U>
    T value_or(U &&fallback) const & {
        return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
    }

    /// Calls f(value) -> Result<U> when there is a value; passes the error on otherwise.
    template <class F>
    auto and_then(F &&f) & -> std::invoke_result_t<F, T &> {
        if (has_value()) {
            return std::forward<F>(f)(value());
        }
        return Unexpected(error());
    }
    template <class F>
    auto and_then(F &&f) const & -> std::invoke_result_t<F, const T &> {
        if (has_value()) {
            return std::forward<F>(f)(value());
        }
        return Unexpected(error());
    }
    template <class F>
    auto and_then(F &&f) && -> std::invoke_result_t<F, T &&> {
        if (has_value()) {
            return std::forward<F>(f)(std::move(*this).value());
        }
        return Unexpected(std::move(*this).error());
    }

    /// Calls f(value) -> U and wraps it when there is a value; passes the error on otherwise.
    template <class F>
    auto transform(F &&f) const & -> Result<std::invoke_result_t<F, const T &>> {
        if (has_value()) {
            return std::forward<F>(f)(value());
        }
        return Unexpected(error());
    }
    template <class F>
    auto transform(F &&f) && -> Result<std::invoke_result_t<F, T &&>> {
        if (has_value()) {
            return std::forward<F>(f)(std::move(*this).value());
        }
        return Unexpected(std::move(*this).error());
    }

private:
    std::variant<T, Error> storage_;
};

/// Result of an operation that returns nothing but may fail.
template <>
class [[nodiscard]] Result<void> {
public:
    using value_type = void;

    Result() = default;
    Result(Unexpected unexpected) : error_(std::move(unexpected).error()), failed_(true) {}

    bool has_value() const noexcept { return !failed_; }
    explicit operator bool() const noexcept { return has_value(); }
    void value() const { assert(has_value()); }

    const Error &error() const & {
        assert(!has_value());
        return error_;
    }
    Error &&error() && {
        assert(!has_value());
        return std::move(error_);
    }

    template <class F>
    auto and_then(F &&f) -> std::invoke_result_t<F> {
        if (has_value()) {
            return std::forward<F>(f)();
        }
        return Unexpected(error_);
    }

private:
    Error error_;
    bool failed_ = false;
};

/// Success value for Result<void>.
inline Result<void> ok() { return {}; }

} // namespace vtc
