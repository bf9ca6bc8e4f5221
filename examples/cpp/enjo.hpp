// A small header-only C++17 wrapper over libenjo's C API: RAII handles (std::unique_ptr with
// the library's free functions) and exceptions carrying the error's fields. Copy it into your
// project; it adds no behaviour of its own.
#pragma once

#include <enjo.h>

#include <cmath>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace enjo {

namespace detail {
struct ClientFree { void operator()(enjo_client *p) const noexcept { enjo_client_free(p); } };
struct ResponseFree { void operator()(enjo_response *p) const noexcept { enjo_response_free(p); } };
struct ErrorFree { void operator()(enjo_error *p) const noexcept { enjo_error_free(p); } };
struct ConversationFree {
    void operator()(enjo_conversation *p) const noexcept { enjo_conversation_free(p); }
};
struct StringFree { void operator()(char *p) const noexcept { enjo_string_free(p); } };

inline std::optional<std::string> opt(const char *s) {
    return s ? std::optional<std::string>(s) : std::nullopt;
}
}  // namespace detail

// Every failure: the status, HTTP status, server code and retry delay of the C error.
class Error : public std::runtime_error {
public:
    explicit Error(enjo_error *raw)
        : std::runtime_error(enjo_error_display(raw) ? enjo_error_display(raw) : "enjo error"),
          status_(enjo_error_status(raw)),
          http_status_(enjo_error_http_status(raw)),
          code_(detail::opt(enjo_error_code(raw))),
          retry_after_(enjo_error_retry_after(raw)) {
        enjo_error_free(raw);  // everything needed was copied
    }
    enjo_status status() const noexcept { return status_; }
    int http_status() const noexcept { return http_status_; }
    const std::optional<std::string> &code() const noexcept { return code_; }
    std::optional<double> retry_after() const noexcept {
        return std::isnan(retry_after_) ? std::nullopt : std::optional<double>(retry_after_);
    }

private:
    enjo_status status_;
    int http_status_;
    std::optional<std::string> code_;
    double retry_after_;
};

inline void check(enjo_status status, enjo_error *error) {
    if (status != ENJO_OK) throw Error(error);
}

struct Source {
    std::optional<std::string> type, name, url;
    std::optional<double> score;
};

// A reply; owns the C response (its strings are read on demand).
class Response {
public:
    explicit Response(enjo_response *raw) : raw_(raw) {}
    std::optional<std::string> answers() const { return detail::opt(enjo_response_answers(raw_.get())); }
    std::optional<std::string> conversation_id() const {
        return detail::opt(enjo_response_conversation_id(raw_.get()));
    }
    std::string json() const { return enjo_response_json(raw_.get()); }
    std::vector<Source> sources() const {
        std::vector<Source> out;
        for (size_t i = 0; i < enjo_response_source_count(raw_.get()); ++i) {
            double score = enjo_response_source_score(raw_.get(), i);
            out.push_back({detail::opt(enjo_response_source_type(raw_.get(), i)),
                           detail::opt(enjo_response_source_name(raw_.get(), i)),
                           detail::opt(enjo_response_source_url(raw_.get(), i)),
                           std::isnan(score) ? std::nullopt : std::optional<double>(score)});
        }
        return out;
    }
    bool has_ticket() const { return enjo_response_has_ticket(raw_.get()); }
    std::optional<std::string> ticket_case_number() const {
        return detail::opt(enjo_response_ticket_case_number(raw_.get()));
    }
    std::optional<std::string> ticket_status() const {
        return detail::opt(enjo_response_ticket_status(raw_.get()));
    }
    const enjo_response *get() const noexcept { return raw_.get(); }

private:
    std::unique_ptr<enjo_response, detail::ResponseFree> raw_;
};

class Conversation {
public:
    explicit Conversation(enjo_conversation *raw) : raw_(raw) {}
    Response send(const std::string &text) {
        enjo_response *resp = nullptr;
        enjo_error *err = nullptr;
        check(enjo_conversation_send(raw_.get(), text.c_str(), &resp, &err), err);
        return Response(resp);
    }
    std::optional<std::string> id() const {
        std::unique_ptr<char, detail::StringFree> id(enjo_conversation_id(raw_.get()));
        return detail::opt(id.get());
    }

private:
    std::unique_ptr<enjo_conversation, detail::ConversationFree> raw_;
};

// A client; thread-safe, so one instance can be shared (e.g. through a const reference).
class Client {
public:
    // Defaults: token from ENJO_API_TOKEN, base URL from ENJO_BASE_URL.
    Client() : Client(nullptr) {}
    explicit Client(const enjo_options *options) {
        enjo_client *raw = nullptr;
        enjo_error *err = nullptr;
        check(enjo_client_new(options, &raw, &err), err);
        raw_.reset(raw);
    }
    Response send_message(const std::string &bot_id, const std::string &text,
                          const std::optional<std::string> &conversation_id = std::nullopt) const {
        enjo_response *resp = nullptr;
        enjo_error *err = nullptr;
        check(enjo_send_message(raw_.get(), bot_id.c_str(), text.c_str(),
                                conversation_id ? conversation_id->c_str() : nullptr, &resp, &err),
              err);
        return Response(resp);
    }
    Conversation conversation(const std::string &bot_id) const {
        enjo_conversation *conv = nullptr;
        enjo_error *err = nullptr;
        check(enjo_conversation_new(raw_.get(), bot_id.c_str(), nullptr, &conv, &err), err);
        return Conversation(conv);
    }

private:
    std::unique_ptr<enjo_client, detail::ClientFree> raw_;
};

}  // namespace enjo
