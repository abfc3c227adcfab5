// The test and benchmark scripts' window on Kafka (the e2e tests and the
// dashboard's benchmark are Node scripts; this gives them bare librdkafka):
//   test_kafka_tool <brokers> create <topic> [partitions]
//       makes the topic (2 partitions unless told) and waits until its
//       metadata shows.
//   test_kafka_tool <brokers> delete <topic> [<topic> ...]
//       deletes the topics (a test's own, when it is done with them); an
//       error names the topic and its reason.
//   test_kafka_tool <brokers> delete-groups <group> [<group> ...]
//       deletes the consumer groups (a test's own, once its consumers are
//       gone); a group the broker does not know is already gone.
//   test_kafka_tool <brokers> read <topic>
//       the topic from its start to its end, one JSON line per message:
//       {"partition":p,"offset":o,"headers":{...},"value":"<the body>"}.
//   test_kafka_tool <brokers> produce <topic>
//       "key<TAB>value" lines on stdin (no tab: no key), each acknowledged
//       (acks=all) before "acked" is printed for it.
//   test_kafka_tool <brokers> produce-timed <topic>
//       one message per stdin line (the line is the value; the key is its
//       "session_id" when it is JSON with one), each acknowledged before the
//       next; prints {"sent_ms":…,"acked_ms":…} (wall clock) per line.
//   test_kafka_tool <brokers> pingpong <topic> <n>
//       n messages one at a time, each produced and consumed back by a
//       consumer on the same topic; prints {"latencies_ms":[…]} (produce call
//       → message in the consumer's hands): the dashboard benchmark's ceiling.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/kafka_topics.h"

namespace {

double wall_ms() {
    return std::chrono::duration<double, std::milli>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct delivery {
    bool done = false;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
    auto* d = static_cast<delivery*>(m->_private);
    d->err = m->err;
    d->done = true;
}

// A producer sends each message at once (linger 0) with acks=all; a consumer
// is assigned partitions by hand, commits nothing, and reports partition ends.
rd_kafka_t* make(rd_kafka_type_t type, const std::string& brokers) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof err);
    if (type == RD_KAFKA_PRODUCER) {
        rd_kafka_conf_set(conf, "linger.ms", "0", err, sizeof err);
        rd_kafka_conf_set(conf, "acks", "all", err, sizeof err);
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    } else {
        rd_kafka_conf_set(conf, "group.id", "test-kafka-tool", err, sizeof err);
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
        rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err);
        rd_kafka_conf_set(conf, "fetch.wait.max.ms", "100", err, sizeof err);
    }
    rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
    if (rk == nullptr) std::cerr << err << "\n";
    return rk;
}

// Assigns every partition of `topic` to `rk` at `offset`; the partition count.
int assign_all(rd_kafka_t* rk, const std::string& topic, int64_t offset) {
    const int parts = clickstream::test::partitions_of(rk, topic);
    if (parts <= 0) {
        std::cerr << "no topic " << topic << "\n";
        return parts;
    }
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(parts);
    for (int p = 0; p < parts; ++p) {
        rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = offset;
    }
    rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    return parts;
}

// The admin commands: 0, or 1 with what went wrong on stderr.
int report(const std::string& why) {
    if (why.empty()) return 0;
    std::cerr << why << "\n";
    return 1;
}

int read(const std::string& brokers, const std::string& topic) {
    rd_kafka_t* rk = make(RD_KAFKA_CONSUMER, brokers);
    if (rk == nullptr) return 1;
    const int parts = assign_all(rk, topic, RD_KAFKA_OFFSET_BEGINNING);
    if (parts <= 0) return 1;
    int at_end = 0;
    for (int idle = 0; at_end < parts && idle < 100;) {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
        if (m == nullptr) {
            ++idle;
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            ++at_end;
        } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            std::cerr << rd_kafka_message_errstr(m) << "\n";
        } else {
            nlohmann::json line = {{"partition", m->partition}, {"offset", m->offset}};
            nlohmann::json headers = nlohmann::json::object();
            rd_kafka_headers_t* hs = nullptr;
            if (rd_kafka_message_headers(m, &hs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                const char* name = nullptr;
                const void* value = nullptr;
                size_t size = 0;
                for (size_t i = 0; rd_kafka_header_get_all(hs, i, &name, &value, &size) ==
                                   RD_KAFKA_RESP_ERR_NO_ERROR;
                     ++i) {
                    headers[name] = std::string(static_cast<const char*>(value), size);
                }
            }
            line["headers"] = headers;
            line["value"] = std::string(static_cast<const char*>(m->payload), m->len);
            std::cout << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                      << "\n";
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return at_end == parts ? 0 : 1;
}

// Produces one message and waits for its acknowledgement.
bool produce_one(rd_kafka_t* rk, const std::string& topic, const std::string& key,
                 const std::string& value) {
    delivery d;
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(topic.c_str()),
        RD_KAFKA_V_KEY(key.empty() ? nullptr : key.data(), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&d), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::cerr << "produce failed: " << rd_kafka_err2str(err) << "\n";
        return false;
    }
    while (!d.done) rd_kafka_poll(rk, 5);
    if (d.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::cerr << "produce failed: " << rd_kafka_err2str(d.err) << "\n";
    }
    return d.err == RD_KAFKA_RESP_ERR_NO_ERROR;
}

int produce(const std::string& brokers, const std::string& topic, bool timed) {
    rd_kafka_t* rk = make(RD_KAFKA_PRODUCER, brokers);
    if (rk == nullptr) return 1;
    int rc = 0;
    for (std::string line; rc == 0 && std::getline(std::cin, line);) {
        std::string key, value = line;
        if (timed) {
            if (line.empty()) continue;
            const auto j = nlohmann::json::parse(line, nullptr, false);
            if (j.is_object() && j.contains("session_id") && j["session_id"].is_string()) {
                key = j["session_id"].get<std::string>();
            }
        } else if (const auto tab = line.find('\t'); tab != std::string::npos) {
            key = line.substr(0, tab);
            value = line.substr(tab + 1);
        }
        const double sent = wall_ms();
        if (!produce_one(rk, topic, key, value)) {
            rc = 1;
        } else if (timed) {
            std::cout << nlohmann::json{{"sent_ms", sent}, {"acked_ms", wall_ms()}}.dump()
                      << std::endl;
        } else {
            std::cout << "acked" << std::endl;
        }
    }
    rd_kafka_flush(rk, 10000);
    rd_kafka_destroy(rk);
    return rc;
}

int pingpong(const std::string& brokers, const std::string& topic, int n) {
    rd_kafka_t* prod = make(RD_KAFKA_PRODUCER, brokers);
    rd_kafka_t* cons = make(RD_KAFKA_CONSUMER, brokers);
    if (prod == nullptr || cons == nullptr) return 1;
    if (assign_all(cons, topic, RD_KAFKA_OFFSET_END) <= 0) return 1;
    // Let the consumer reach the end before the first timed message.
    for (int i = 0; i < 20; ++i) {
        if (rd_kafka_message_t* m = rd_kafka_consumer_poll(cons, 100)) rd_kafka_message_destroy(m);
    }
    std::vector<double> latencies;
    for (int i = 0; i < n; ++i) {
        const std::string value = "ping-" + std::to_string(i);
        const double sent = wall_ms();
        if (!produce_one(prod, topic, "", value)) return 1;
        const double give_up = sent + 10'000;
        while (wall_ms() < give_up) {
            rd_kafka_message_t* m = rd_kafka_consumer_poll(cons, 100);
            if (m == nullptr) continue;
            const bool mine = m->err == RD_KAFKA_RESP_ERR_NO_ERROR &&
                              std::string(static_cast<const char*>(m->payload), m->len) == value;
            rd_kafka_message_destroy(m);
            if (mine) {
                latencies.push_back(wall_ms() - sent);
                break;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::cout << nlohmann::json{{"latencies_ms", latencies}}.dump() << std::endl;
    rd_kafka_consumer_close(cons);
    rd_kafka_destroy(cons);
    rd_kafka_destroy(prod);
    return static_cast<int>(latencies.size()) == n ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::cerr
            << "usage: test_kafka_tool <brokers> "
               "create|delete|delete-groups|read|produce|produce-timed|pingpong <topic> [n]\n";
        return 2;
    }
    const std::string brokers = argv[1], cmd = argv[2], topic = argv[3];
    if (cmd == "create") {
        return report(
            clickstream::test::make_topic(brokers, topic, argc > 4 ? std::stoi(argv[4]) : 2));
    }
    if (cmd == "delete") {
        return report(clickstream::test::delete_topics(
            brokers, std::vector<std::string>(argv + 3, argv + argc)));
    }
    if (cmd == "delete-groups") {
        return report(clickstream::test::delete_groups(
            brokers, std::vector<std::string>(argv + 3, argv + argc)));
    }
    if (cmd == "read") return read(brokers, topic);
    if (cmd == "produce") return produce(brokers, topic, false);
    if (cmd == "produce-timed") return produce(brokers, topic, true);
    if (cmd == "pingpong" && argc > 4) return pingpong(brokers, topic, std::stoi(argv[4]));
    std::cerr << "unknown command " << cmd << "\n";
    return 2;
}
