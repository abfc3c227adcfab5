#include "common/kafka/producer.h"

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "rdkafka_support.h"

namespace clickstream::common::kafka {
namespace {

// One message between produce() and its report; librdkafka holds a pointer to
// it as the message opaque and reads `msg.value` in place (no copy).
struct pending {
    message msg;
    delivery_handler done;
};

}  // namespace

struct producer::state {
    producer_options options;
    logger& log;

    std::shared_mutex rk_mutex;  // produce() shares it; only the poll thread swaps `rk`
    rd_kafka_t* rk = nullptr;

    std::atomic<bool> accepting{true};
    std::atomic<bool> fatal{false};
    std::atomic<bool> closing{false};  // reports now complete instead of retrying
    std::atomic<bool> stop_polling{false};
    std::atomic<std::uint64_t> recreations{0};

    std::mutex retry_mutex;
    std::deque<pending*> retry;  // to produce again on a new instance, in order

    std::mutex outstanding_mutex;
    std::condition_variable none_outstanding;
    std::size_t outstanding = 0;

    std::thread poller;

    state(producer_options o, logger& l) : options(std::move(o)), log(l) {}

    void complete(pending* p, std::error_code ec, std::int32_t partition = -1,
                  std::int64_t offset = -1) noexcept {
        std::unique_ptr<pending> owned(p);
        if (owned->done) {
            owned->done(delivery_report{ec, partition, offset, std::move(owned->msg)});
        }
        owned.reset();
        std::lock_guard lock(outstanding_mutex);
        if (--outstanding == 0) none_outstanding.notify_all();
    }

    void keep_for_retry(pending* p) {
        std::lock_guard lock(retry_mutex);
        retry.push_back(p);
    }

    // Hands `p` to the current instance; the caller holds rk_mutex (shared).
    void send(pending* p) noexcept {
        const message& m = p->msg;
        rd_kafka_headers_t* headers = rd_kafka_headers_new(m.headers.size());
        for (const auto& h : m.headers) {
            rd_kafka_header_add(headers, h.name.data(), static_cast<ssize_t>(h.name.size()),
                                h.value.data(), static_cast<ssize_t>(h.value.size()));
        }
        const void* key = m.key ? m.key->data() : nullptr;
        const std::size_t key_len = m.key ? m.key->size() : 0;
        // Flags 0: neither copy nor free the value; it lives in `p` until the report.
        const rd_kafka_resp_err_t err =
            rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(m.topic.c_str()), RD_KAFKA_V_KEY(key, key_len),
                              RD_KAFKA_V_VALUE(const_cast<char*>(m.value.data()), m.value.size()),
                              RD_KAFKA_V_MSGFLAGS(0), RD_KAFKA_V_HEADERS(headers),
                              RD_KAFKA_V_OPAQUE(p), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;  // the headers now belong to librdkafka
        rd_kafka_headers_destroy(headers);
        if (err == RD_KAFKA_RESP_ERR__FATAL && !closing) {
            fatal = true;
            keep_for_retry(p);
            return;
        }
        complete(p, to_errc(err));
    }

    void on_delivery(const rd_kafka_message_t* m) noexcept {
        auto* p = static_cast<pending*>(m->_private);
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            complete(p, {}, m->partition, m->offset);
            return;
        }
        const bool instance_broken = fatal || m->err == RD_KAFKA_RESP_ERR__FATAL;
        if (instance_broken && !closing) {
            keep_for_retry(p);
            return;
        }
        complete(p, to_errc(m->err));
    }

    void on_error(rd_kafka_t* handle, int err, const char* reason) noexcept {
        if (err == RD_KAFKA_RESP_ERR__FATAL) {
            char why[512];
            const rd_kafka_resp_err_t cause = rd_kafka_fatal_error(handle, why, sizeof why);
            log.error("kafka_producer_fatal",
                      {{"error", rd_kafka_err2name(cause)}, {"reason", why}});
            fatal = true;
            return;
        }
        log.warn("kafka_producer_error",
                 {{"error", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))},
                  {"reason", reason != nullptr ? reason : ""}});
    }

    result<rd_kafka_t*> make_instance() noexcept;
    void recreate() noexcept;
    void resend_retries() noexcept;
    void poll_loop() noexcept;
};

namespace {

void delivery_callback(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    static_cast<producer::state*>(opaque)->on_delivery(m);
}

void error_callback(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    static_cast<producer::state*>(opaque)->on_error(rk, err, reason);
}

}  // namespace

std::map<std::string, std::string> librdkafka_properties(const producer_options& options) {
    std::map<std::string, std::string> settings = {
        {"bootstrap.servers", options.brokers},
        {"client.id", options.client_id},
        {"message.timeout.ms", std::to_string(options.message_timeout.count())},
        {"linger.ms", std::to_string(options.linger.count())},
        {"compression.type", options.compression},
    };
    for (const auto& [name, value] : options.settings) settings[name] = value;
    settings["enable.idempotence"] = "true";
    settings["acks"] = "all";
    return settings;
}

result<rd_kafka_t*> producer::state::make_instance() noexcept {
    auto made = make_conf(librdkafka_properties(options), log);
    if (!made) return failure{made.error()};
    rd_kafka_conf_t* conf = *made;
    rd_kafka_conf_set_dr_msg_cb(conf, delivery_callback);
    rd_kafka_conf_set_error_cb(conf, error_callback);
    rd_kafka_conf_set_opaque(conf, this);
    char errstr[512];
    rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (handle == nullptr) {  // the conf is still ours
        rd_kafka_conf_destroy(conf);
        log.error("kafka_producer_create_failed", {{"reason", errstr}});
        return failure{make_error_code(errc::kafka_create)};
    }
    return handle;
}

void producer::state::recreate() noexcept {
    log.warn("kafka_producer_recreating", {{"outstanding", outstanding}});
    // Every message still in the broken instance comes back through
    // on_delivery, which keeps it for the new one (fatal is set).
    rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    const auto give_up = std::chrono::steady_clock::now() + options.message_timeout;
    while (rd_kafka_outq_len(rk) > 0 && std::chrono::steady_clock::now() < give_up) {
        rd_kafka_poll(rk, 50);
    }
    auto fresh = make_instance();
    if (!fresh) return;  // logged; the poll loop tries again
    rd_kafka_t* old = nullptr;
    {
        std::unique_lock lock(rk_mutex);
        old = rk;
        rk = *fresh;
        fatal = false;
    }
    rd_kafka_destroy(old);
    ++recreations;
    log.info("kafka_producer_recreated", {{"recreations", recreations.load()}});
}

void producer::state::resend_retries() noexcept {
    std::deque<pending*> batch;
    {
        std::lock_guard lock(retry_mutex);
        batch.swap(retry);
    }
    std::shared_lock lock(rk_mutex);
    for (pending* p : batch) send(p);
}

void producer::state::poll_loop() noexcept {
    while (!stop_polling) {
        rd_kafka_poll(rk, 50);  // runs the callbacks; only this thread swaps rk
        if (fatal) {
            recreate();
            if (fatal) std::this_thread::sleep_for(std::chrono::milliseconds(200));
        } else {
            resend_retries();
        }
    }
}

result<std::unique_ptr<producer>> producer::create(producer_options options, logger& log) {
    auto s = std::make_unique<state>(std::move(options), log);
    auto handle = s->make_instance();
    if (!handle) return failure{handle.error()};
    s->rk = *handle;
    state* raw = s.get();
    s->poller = std::thread([raw] { raw->poll_loop(); });
    return std::unique_ptr<producer>(new producer(std::move(s)));
}

producer::producer(std::unique_ptr<state> s) : state_(std::move(s)) {}

producer::~producer() {
    state_->accepting = false;
    flush(state_->options.message_timeout + std::chrono::seconds(1));
    state_->stop_polling = true;
    state_->poller.join();
    // What is left gets a report here, on the thread that owned the loop.
    state_->closing = true;
    rd_kafka_purge(state_->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(state_->rk, 0);
    while (rd_kafka_outq_len(state_->rk) > 0) rd_kafka_poll(state_->rk, 50);
    std::deque<pending*> left;
    {
        std::lock_guard lock(state_->retry_mutex);
        left.swap(state_->retry);
    }
    for (pending* p : left) state_->complete(p, errc::kafka_shutting_down);
    rd_kafka_destroy(state_->rk);
}

void producer::produce(message msg, delivery_handler done) noexcept {
    if (!state_->accepting) {
        if (done) done(delivery_report{errc::kafka_shutting_down, -1, -1, std::move(msg)});
        return;
    }
    auto* p = new pending{std::move(msg), std::move(done)};
    {
        std::lock_guard lock(state_->outstanding_mutex);
        ++state_->outstanding;
    }
    std::shared_lock lock(state_->rk_mutex);
    state_->send(p);
}

bool producer::flush(std::chrono::milliseconds timeout) noexcept {
    std::unique_lock lock(state_->outstanding_mutex);
    return state_->none_outstanding.wait_for(lock, timeout,
                                             [this] { return state_->outstanding == 0; });
}

result<void> producer::check_reachable(std::chrono::milliseconds timeout) noexcept {
    std::shared_lock lock(state_->rk_mutex);
    const rd_kafka_metadata_t* md = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(state_->rk, 0, nullptr, &md, static_cast<int>(timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return failure{make_error_code(to_errc(err))};
    const bool any = md->broker_cnt > 0;
    rd_kafka_metadata_destroy(md);
    if (!any) return failure{make_error_code(errc::kafka_unreachable)};
    return {};
}

std::size_t producer::outstanding() const noexcept {
    std::lock_guard lock(state_->outstanding_mutex);
    return state_->outstanding;
}

std::uint64_t producer::recreations() const noexcept {
    return state_->recreations;
}

void producer::simulate_fatal_error(const std::string& reason) noexcept {
    std::shared_lock lock(state_->rk_mutex);
    rd_kafka_test_fatal_error(state_->rk, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                              reason.c_str());
}

}  // namespace clickstream::common::kafka
