#include "common/kafka/transactional_producer.h"

#include <thread>

#include "rdkafka_support.h"
#include "transactional_consumer_state.h"

namespace clickstream::common::kafka {

struct transactional_producer::state {
    transactional_producer_options options;
    logger& log;
    rd_kafka_t* rk = nullptr;
    bool in_transaction = false;

    state(transactional_producer_options o, logger& l) : options(std::move(o)), log(l) {}

    int timeout_ms() const { return static_cast<int>(options.operation_timeout.count()); }

    // Logs a transactional API error and turns it into ours: fatal (make a
    // new producer), timed out (outcome unknown) or refused (abortable).
    std::error_code consume_error(rd_kafka_error_t* error, std::string_view step) {
        const bool fatal = rd_kafka_error_is_fatal(error) != 0;
        const bool retriable = rd_kafka_error_is_retriable(error) != 0;
        const bool abortable = rd_kafka_error_txn_requires_abort(error) != 0;
        log.warn("kafka_transaction_error", {{"step", step},
                                             {"error", rd_kafka_error_string(error)},
                                             {"fatal", fatal},
                                             {"retriable", retriable},
                                             {"requires_abort", abortable}});
        const errc code = fatal ? errc::kafka_fatal
                          : retriable
                              ? errc::kafka_timed_out
                              : (to_errc(rd_kafka_error_code(error)) == errc::kafka_unreachable
                                     ? errc::kafka_unreachable
                                     : errc::kafka_rejected);
        rd_kafka_error_destroy(error);
        return make_error_code(code);
    }
};

namespace {

void error_callback(rd_kafka_t*, int err, const char* reason, void* opaque) {
    auto* s = static_cast<transactional_producer::state*>(opaque);
    s->log.warn(
        "kafka_producer_error",
        {{"error", rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err))}, {"reason", reason}});
}

}  // namespace

result<std::unique_ptr<transactional_producer>> transactional_producer::create(
    transactional_producer_options options, logger& log) {
    if (options.transactional_id.empty()) {
        log.error("kafka_setting_refused",
                  {{"setting", "transactional.id"}, {"reason", "required"}});
        return failure{make_error_code(errc::kafka_config)};
    }
    auto s = std::make_unique<state>(std::move(options), log);
    std::map<std::string, std::string> settings = {
        {"bootstrap.servers", s->options.brokers},
        {"client.id", s->options.client_id},
        {"linger.ms", std::to_string(s->options.linger.count())},
        {"compression.type", s->options.compression},
        {"transaction.timeout.ms", std::to_string(s->options.transaction_timeout.count())},
    };
    for (const auto& [name, value] : s->options.settings) settings[name] = value;
    // What makes the transaction exactly once cannot be overridden.
    settings["transactional.id"] = s->options.transactional_id;
    settings["enable.idempotence"] = "true";
    settings["acks"] = "all";
    auto made = make_conf(settings, log);
    if (!made) return failure{made.error()};
    rd_kafka_conf_t* conf = *made;
    char errstr[512];
    rd_kafka_conf_set_error_cb(conf, error_callback);
    rd_kafka_conf_set_opaque(conf, s.get());
    s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (s->rk == nullptr) {
        rd_kafka_conf_destroy(conf);
        log.error("kafka_producer_create_failed", {{"reason", errstr}});
        return failure{make_error_code(errc::kafka_create)};
    }
    // Fences older producers with this id and aborts what they left open.
    if (rd_kafka_error_t* error = rd_kafka_init_transactions(s->rk, s->timeout_ms())) {
        const auto code = s->consume_error(error, "init_transactions");
        rd_kafka_destroy(s->rk);
        return failure{code};
    }
    log.info("kafka_transactions_ready", {{"transactional_id", s->options.transactional_id}});
    return std::unique_ptr<transactional_producer>(new transactional_producer(std::move(s)));
}

transactional_producer::transactional_producer(std::unique_ptr<state> s) : state_(std::move(s)) {}

transactional_producer::~transactional_producer() {
    abort();
    rd_kafka_destroy(state_->rk);
}

result<void> transactional_producer::begin() noexcept {
    if (rd_kafka_error_t* error = rd_kafka_begin_transaction(state_->rk)) {
        return failure{state_->consume_error(error, "begin_transaction")};
    }
    state_->in_transaction = true;
    return {};
}

result<void> transactional_producer::produce(const message& msg) noexcept {
    const auto deadline = std::chrono::steady_clock::now() + state_->options.operation_timeout;
    while (true) {
        rd_kafka_headers_t* headers = rd_kafka_headers_new(msg.headers.size());
        for (const auto& h : msg.headers) {
            rd_kafka_header_add(headers, h.name.data(), static_cast<ssize_t>(h.name.size()),
                                h.value.data(), static_cast<ssize_t>(h.value.size()));
        }
        // librdkafka's macros cast their arguments: no expressions in them.
        void* key = msg.key ? const_cast<char*>(msg.key->data()) : nullptr;
        const std::size_t key_size = msg.key ? msg.key->size() : 0;
        void* value = const_cast<char*>(msg.value.data());
        const std::size_t value_size = msg.value.size();
        const rd_kafka_resp_err_t err = rd_kafka_producev(
            state_->rk, RD_KAFKA_V_TOPIC(msg.topic.c_str()),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_size),
            RD_KAFKA_V_VALUE(value, value_size), RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {  // the headers are librdkafka's now
            rd_kafka_poll(state_->rk, 0);
            return {};
        }
        rd_kafka_headers_destroy(headers);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || std::chrono::steady_clock::now() >= deadline) {
            state_->log.warn("kafka_produce_failed",
                             {{"topic", msg.topic}, {"error", rd_kafka_err2str(err)}});
            return failure{make_error_code(to_errc(err))};
        }
        rd_kafka_poll(state_->rk, 10);  // the queue drains as the broker acknowledges
    }
}

result<void> transactional_producer::commit(const std::vector<partition_offset>& offsets,
                                            transactional_consumer& from) noexcept {
    if (!offsets.empty()) {
        rd_kafka_topic_partition_list_t* list =
            rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
        for (const auto& o : offsets) {
            rd_kafka_topic_partition_list_add(list, o.topic.c_str(), o.partition)->offset =
                o.offset;
        }
        rd_kafka_consumer_group_metadata_t* group =
            rd_kafka_consumer_group_metadata(from.internals().rk);
        rd_kafka_error_t* error =
            rd_kafka_send_offsets_to_transaction(state_->rk, list, group, state_->timeout_ms());
        rd_kafka_consumer_group_metadata_destroy(group);
        rd_kafka_topic_partition_list_destroy(list);
        if (error != nullptr) return failure{state_->consume_error(error, "send_offsets")};
    }
    if (rd_kafka_error_t* error = rd_kafka_commit_transaction(state_->rk, state_->timeout_ms())) {
        return failure{state_->consume_error(error, "commit_transaction")};
    }
    state_->in_transaction = false;
    return {};
}

bool transactional_producer::abort() noexcept {
    if (!state_->in_transaction) return true;
    state_->in_transaction = false;
    if (rd_kafka_error_t* error = rd_kafka_abort_transaction(state_->rk, state_->timeout_ms())) {
        (void)state_->consume_error(error, "abort_transaction");
        return false;
    }
    return true;
}

bool transactional_producer::in_transaction() const noexcept {
    return state_->in_transaction;
}

}  // namespace clickstream::common::kafka
