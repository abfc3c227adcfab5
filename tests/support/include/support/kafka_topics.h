// Topics (and consumer groups) on a real broker through librdkafka's admin
// API, for the tests, the benchmarks and test_kafka_tool. Header-only and free of any test
// framework: a user links librdkafka itself. Each call answers "" or what
// went wrong, naming the topic.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace clickstream::test {

using topic_configs = std::vector<std::pair<std::string, std::string>>;

// The topic's partition count as the broker's metadata shows it; -1 where
// it shows no such topic.
inline int partitions_of(rd_kafka_t* rk, const std::string& topic) {
    rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    int n = -1;
    if (rd_kafka_metadata(rk, 0, t, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            n = md->topics[0].partition_cnt;
        }
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_destroy(t);
    return n;
}

namespace detail {

// An admin client (a producer that sends nothing), or nullptr with `why` set.
inline rd_kafka_t* admin_client(const std::string& brokers, std::string& why) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof err) !=
        RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        why = err;
        return nullptr;
    }
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);  // owns conf
    if (rk == nullptr) why = err;
    return rk;
}

// The names, ", "-separated: what a failure of a whole request is about.
inline std::string joined(const std::vector<std::string>& names) {
    std::string all;
    for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
    return all;
}

// One admin request about `names`: `ask(rk, queue)` sends it; `read(rk,
// answer)` says what went wrong for single names ("<name>: <reason>",
// "; "-separated). A failure of the whole request (no client, no answer, an
// error for all) is "<names>: <reason>". "" when everything came through.
template <class Ask, class Read>
std::string admin_request(const std::string& brokers, const std::vector<std::string>& names,
                          int timeout_ms, Ask ask, Read read) {
    std::string why;
    rd_kafka_t* rk = admin_client(brokers, why);
    if (rk == nullptr) return joined(names) + ": " + why;
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    ask(rk, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, timeout_ms);
    if (ev == nullptr) {
        why = joined(names) + ": no answer from the broker's admin API";
    } else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        why = joined(names) + ": " + rd_kafka_event_error_string(ev);
    } else {
        why = read(rk, ev);
    }
    if (ev != nullptr) rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    return why;
}

// The topics' failures in a CreateTopics or DeleteTopics answer.
inline std::string topic_errors(rd_kafka_event_t* ev, const std::vector<std::string>& names) {
    std::size_t n = 0;
    const rd_kafka_topic_result_t** r = nullptr;
    if (const auto* created = rd_kafka_event_CreateTopics_result(ev)) {
        r = rd_kafka_CreateTopics_result_topics(created, &n);
    } else if (const auto* deleted = rd_kafka_event_DeleteTopics_result(ev)) {
        r = rd_kafka_DeleteTopics_result_topics(deleted, &n);
    }
    std::string why = n == names.size()
                          ? ""
                          : joined(names) + ": an answer for " + std::to_string(n) + " of them";
    for (std::size_t i = 0; i < n; ++i) {
        if (rd_kafka_topic_result_error(r[i]) == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
        why += (why.empty() ? "" : "; ") + std::string(rd_kafka_topic_result_name(r[i])) + ": " +
               rd_kafka_topic_result_error_string(r[i]);
    }
    return why;
}

}  // namespace detail

// Creates `name` (replication 1, `configs` as its settings) and waits until
// the metadata shows all its partitions: a new topic's can take a moment.
inline std::string make_topic(const std::string& brokers, const std::string& name, int partitions,
                              const topic_configs& configs = {}, int timeout_ms = 30000) {
    char err[512];
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(name.c_str(), partitions, 1, err, sizeof err);
    if (nt == nullptr) return name + ": " + err;
    for (const auto& [key, value] : configs) {
        if (rd_kafka_NewTopic_set_config(nt, key.c_str(), value.c_str()) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_NewTopic_destroy(nt);
            return name + ": bad setting " + key;
        }
    }
    const std::string why = detail::admin_request(
        brokers, {name}, timeout_ms,
        [&](rd_kafka_t* rk, rd_kafka_queue_t* q) { rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q); },
        [&](rd_kafka_t* rk, rd_kafka_event_t* ev) {
            if (auto failed = detail::topic_errors(ev, {name}); !failed.empty()) return failed;
            for (int i = 0; partitions_of(rk, name) != partitions; ++i) {
                if (i == 100) return name + ": made, but its metadata never showed";
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
            return std::string();
        });
    rd_kafka_NewTopic_destroy(nt);
    return why;
}

// Deletes the topics (a test's own, when it is done with them).
inline std::string delete_topics(const std::string& brokers, const std::vector<std::string>& names,
                                 int timeout_ms = 30000) {
    if (names.empty()) return "";
    std::vector<rd_kafka_DeleteTopic_t*> doomed;
    doomed.reserve(names.size());
    for (const auto& t : names) doomed.push_back(rd_kafka_DeleteTopic_new(t.c_str()));
    const std::string why = detail::admin_request(
        brokers, names, timeout_ms,
        [&](rd_kafka_t* rk, rd_kafka_queue_t* q) {
            rd_kafka_DeleteTopics(rk, doomed.data(), doomed.size(), nullptr, q);
        },
        [&](rd_kafka_t*, rd_kafka_event_t* ev) { return detail::topic_errors(ev, names); });
    rd_kafka_DeleteTopic_destroy_array(doomed.data(), doomed.size());
    return why;
}

// Deletes the consumer groups (a test's own, once its consumers are gone). A
// group the broker does not know (one that never committed) is already gone.
inline std::string delete_groups(const std::string& brokers, const std::vector<std::string>& names,
                                 int timeout_ms = 30000) {
    if (names.empty()) return "";
    std::vector<rd_kafka_DeleteGroup_t*> doomed;
    doomed.reserve(names.size());
    for (const auto& g : names) doomed.push_back(rd_kafka_DeleteGroup_new(g.c_str()));
    const std::string why = detail::admin_request(
        brokers, names, timeout_ms,
        [&](rd_kafka_t* rk, rd_kafka_queue_t* q) {
            rd_kafka_DeleteGroups(rk, doomed.data(), doomed.size(), nullptr, q);
        },
        [&](rd_kafka_t*, rd_kafka_event_t* ev) {
            std::size_t n = 0;
            const rd_kafka_group_result_t** r =
                rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev), &n);
            std::string failed = n == names.size() ? ""
                                                   : detail::joined(names) + ": an answer for " +
                                                         std::to_string(n) + " of them";
            for (std::size_t i = 0; i < n; ++i) {
                const rd_kafka_error_t* e = rd_kafka_group_result_error(r[i]);
                if (e == nullptr ||
                    rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) {
                    continue;
                }
                failed += (failed.empty() ? "" : "; ") +
                          std::string(rd_kafka_group_result_name(r[i])) + ": " +
                          rd_kafka_error_string(e);
            }
            return failed;
        });
    rd_kafka_DeleteGroup_destroy_array(doomed.data(), doomed.size());
    return why;
}

}  // namespace clickstream::test
