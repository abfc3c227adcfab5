#include "processor/stage/enrich_stage.h"

#include <charconv>
#include <thread>

namespace clickstream::processor {
namespace {

// The collector's header names (collector/include/collector/raw_message.h;
// the processor reads them but does not depend on the collector).
constexpr std::string_view h_received_at = "received_at";
constexpr std::string_view h_client_ip = "client_ip";
constexpr std::string_view h_user_agent = "user_agent";
constexpr std::string_view h_origin = "origin";
constexpr std::string_view h_content_type = "content_type";
constexpr std::string_view h_content_encoding = "content_encoding";
constexpr std::string_view h_request_id = "request_id";
constexpr std::string_view h_site = "site";
constexpr std::string_view h_source = "source";
constexpr std::string_view pixel_content_type = "application/x-www-form-urlencoded";

std::string header_or_empty(const input_record& r, std::string_view name) {
    const record_header* h = r.header(name);
    return h == nullptr ? std::string() : h->value;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

clickstream::result<enrich::raw_metadata, enrich::batch_error> read_metadata(
    const input_record& record) {
    using enrich::batch_error;
    using enrich::batch_reason;
    const record_header* received = record.header(h_received_at);
    if (received == nullptr) {
        return failure{batch_error{batch_reason::missing_field, "/headers/received_at",
                                   "the collector stamps every raw message"}};
    }
    enrich::raw_metadata m;
    const char* end = received->value.data() + received->value.size();
    const auto [p, ec] = std::from_chars(received->value.data(), end, m.receive_ms);
    if (ec != std::errc{} || p != end || m.receive_ms <= 0) {
        return failure{batch_error{batch_reason::bad_value, "/headers/received_at",
                                   "not milliseconds since the epoch"}};
    }
    m.client_ip = header_or_empty(record, h_client_ip);
    m.user_agent = header_or_empty(record, h_user_agent);
    m.origin = header_or_empty(record, h_origin);
    m.content_type = header_or_empty(record, h_content_type);
    m.content_encoding = header_or_empty(record, h_content_encoding);
    m.request_id = header_or_empty(record, h_request_id);
    m.site = header_or_empty(record, h_site);
    m.source = header_or_empty(record, h_source);
    return m;
}

output_record dead_letter(const input_record& record, const enrich::batch_error& error,
                          const std::string& dlq_topic) {
    output_record out;
    out.topic = dlq_topic;
    out.key = record.key;
    out.value = record.value;
    out.headers = record.headers;
    out.headers.push_back({"dlq_reason", std::string(enrich::to_string(error.reason))});
    out.headers.push_back({"dlq_path", error.path});
    out.headers.push_back({"dlq_detail", error.detail});
    out.headers.push_back({"dlq_topic", record.topic});
    out.headers.push_back({"dlq_partition", std::to_string(record.partition)});
    out.headers.push_back({"dlq_offset", std::to_string(record.offset)});
    return out;
}

enrich_stage::enrich_stage(enrich_stage_options options, record_source& source,
                           transactional_sink& sink, enrich::event_enricher& enricher,
                           enrich_probe& probe, common::logger& log,
                           std::function<std::int64_t()> now_ms)
    : options_(std::move(options)),
      source_(source),
      sink_(sink),
      enricher_(enricher),
      probe_(probe),
      log_(log),
      now_ms_(std::move(now_ms)),
      dedup_(options_.dedup) {}

void enrich_stage::run() {
    probe_.set_ready(true);
    while (!stopping_) step();
    if (open_ && records_ > 0) {
        log_.info("stopping_commit", {{"records", records_}});
        commit();
    } else if (open_) {
        sink_.abort();
        open_ = false;
    }
    probe_.set_ready(false);
}

bool enrich_stage::step(bool force_commit) {
    if (!open_) {
        if (auto begun = sink_.begin(); !begun) {
            log_.warn("transaction_begin_failed", {{"error", begun.error().message()}});
            recover("begin_failed");
            return false;
        }
        open_ = true;
        failed_ = false;
        opened_at_ = std::chrono::steady_clock::now();
        enricher_.begin_transaction();
        log_.debug("transaction_begun");
    }
    auto polled = source_.poll(options_.poll_timeout);
    if (!polled) {
        log_.warn("poll_failed", {{"error", polled.error().message()}});
        std::this_thread::sleep_for(options_.retry_backoff);
        return true;
    }
    if (polled->revoked) {
        // The partitions were taken away: what was read since the last
        // commit is another member's to read again from the committed
        // offsets. The source has aborted the transaction; abort is
        // idempotent, and the state goes with it.
        if (open_ && records_ > 0) {
            log_.info("transaction_voided_by_rebalance", {{"records", records_}});
            probe_.transaction_aborted("revoked");
        }
        sink_.abort();
        forget();
        if (auto begun = sink_.begin(); !begun) {
            recover("begin_failed");
            return false;
        }
        open_ = true;
        opened_at_ = std::chrono::steady_clock::now();
        enricher_.begin_transaction();
    }
    if (polled->record) process(*polled->record);
    const bool due =
        records_ > 0 && (force_commit || records_ >= options_.max_records ||
                         std::chrono::steady_clock::now() - opened_at_ >= options_.commit_interval);
    if (due) return commit();
    return true;
}

void enrich_stage::process(const input_record& record) {
    positions_[{record.topic, record.partition}] = record.offset + 1;
    ++records_;
    auto meta = read_metadata(record);
    if (!meta) {
        probe_.batch_in("unknown");
        ++pending_dlq_[std::string(enrich::to_string(meta.error().reason))];
        emit(dead_letter(record, meta.error(), options_.topics.dlq));
        return;
    }
    probe_.batch_in(meta->source.empty() ? "batch" : meta->source);
    const bool pixel =
        meta->source == "pixel" || meta->content_type.rfind(pixel_content_type, 0) == 0;
    // Web batches parse into batch_, whose storage the next batch reuses.
    clickstream::result<void, enrich::batch_error> parsed{};
    if (pixel) {
        if (auto p = enrich::parse_pixel(record.value, options_.limits); p) {
            batch_ = std::move(*p);
        } else {
            parsed = failure{std::move(p.error())};
        }
    } else {
        parsed = enrich::parse_batch(record.value, batch_, options_.limits);
    }
    if (parsed && !meta->site.empty() && batch_.site != meta->site) {
        parsed = failure{
            enrich::batch_error{enrich::batch_reason::bad_value, "/site",
                                "not the site the collector routed it to (" + meta->site + ")"}};
    }
    if (!parsed) {
        ++pending_dlq_[std::string(enrich::to_string(parsed.error().reason))];
        emit(dead_letter(record, parsed.error(), options_.topics.dlq));
        return;
    }
    const enrich::batch& b = batch_;
    enricher_.begin_batch(b, *meta);
    for (std::size_t i = 0; i < b.events.size(); ++i) {
        const auto& e = b.events[i];
        const std::uint64_t id = enrich::dedup_window::fingerprint(b.site, e.id);
        if (pending_keys_.count(id) != 0 || dedup_.contains(id, meta->receive_ms)) {
            ++pending_dups_;
            continue;
        }
        pending_keys_.insert(id);
        pending_ids_.push_back({id, meta->receive_ms});
        pending_receive_ms_.push_back(meta->receive_ms);
        enricher_.enrich(i, scratch_);
        const bool bot = scratch_.bot.bot;
        const std::string& topic = bot ? options_.topics.bots : options_.topics.clean;
        if (bot) ++pending_bots_[std::string(enrich::to_string(scratch_.bot.rule))];
        emit({topic, scratch_.key, scratch_.clean, {}});
    }
}

void enrich_stage::emit(output_record out) {
    ++pending_out_[out.topic];
    ++outputs_;
    if (auto produced = sink_.produce(std::move(out)); !produced) {
        if (!failed_) log_.warn("produce_failed", {{"error", produced.error().message()}});
        failed_ = true;
    }
    probe_.transaction_open(true, outputs_);
}

bool enrich_stage::commit() {
    if (failed_) {
        recover("produce_failed");
        return false;
    }
    std::vector<input_position> positions;
    positions.reserve(positions_.size());
    for (const auto& [tp, next] : positions_) positions.push_back({tp.first, tp.second, next});
    if (auto committed = sink_.commit(positions); !committed) {
        log_.warn("transaction_commit_failed",
                  {{"error", committed.error().message()}, {"records", records_}});
        recover("commit_failed");
        return false;
    }
    // Committed: now, and only now, the ids are known and the counts true.
    for (const auto& p : pending_ids_) dedup_.record(p.fingerprint, p.receive_ms);
    enricher_.commit_transaction();
    for (const auto& [topic, n] : pending_out_) probe_.events_out(topic, n);
    for (const auto& [reason, n] : pending_dlq_) probe_.dlq(reason, n);
    for (const auto& [rule, n] : pending_bots_) probe_.bots(rule, n);
    probe_.dedup_hits(pending_dups_);
    probe_.transaction_committed(seconds_since(opened_at_));
    const std::int64_t now = now_ms_();
    for (const auto ms : pending_receive_ms_) {
        probe_.latency(static_cast<double>(std::max<std::int64_t>(0, now - ms)) / 1000.0);
    }
    log_.debug("transaction_committed", {{"records", records_}, {"outputs", outputs_}});
    forget();
    return true;
}

void enrich_stage::recover(std::string_view why) {
    sink_.abort();
    probe_.transaction_aborted(why);
    log_.warn("transaction_aborted", {{"why", why}, {"records", records_}});
    forget();
    // Fence the old producer first, then read again from what is committed
    // (KAFKA-17754: never retry a commit whose outcome is unknown).
    while (true) {
        auto reset = sink_.reset();
        if (reset) break;
        log_.warn("producer_reset_failed", {{"error", reset.error().message()}});
        if (stopping_) return;
        std::this_thread::sleep_for(options_.retry_backoff);
    }
    while (true) {
        auto rewound = source_.rewind();
        if (rewound) break;
        log_.warn("rewind_failed", {{"error", rewound.error().message()}});
        if (stopping_) return;
        std::this_thread::sleep_for(options_.retry_backoff);
    }
}

void enrich_stage::forget() {
    // After a commit this is a no-op; after an abort the behaviour rule
    // forgets what it counted of the voided reads.
    enricher_.abort_transaction();
    open_ = false;
    failed_ = false;
    records_ = 0;
    outputs_ = 0;
    positions_.clear();
    pending_ids_.clear();
    pending_keys_.clear();
    pending_receive_ms_.clear();
    pending_out_.clear();
    pending_dlq_.clear();
    pending_bots_.clear();
    pending_dups_ = 0;
    probe_.transaction_open(false, 0);
}

}  // namespace clickstream::processor
