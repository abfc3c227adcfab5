// The e2e tests' window on Kafka: creates a topic of their own and reads a
// topic from the start to its end, one JSON line per message:
// {"partition":p,"offset":o,"headers":{...},"value":"<the body>"}.
//   e2e_kafka_tool <brokers> create <topic>
//   e2e_kafka_tool <brokers> read <topic>
//   e2e_kafka_tool <brokers> produce <topic>   "key<TAB>value" lines on stdin,
//       each acknowledged (acks=all) before "acked" is printed for it
#include <librdkafka/rdkafka.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

namespace {

rd_kafka_t* make(rd_kafka_type_t type, const std::string& brokers) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof err);
    if (type == RD_KAFKA_CONSUMER) {
        rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err);
        rd_kafka_conf_set(conf, "group.id", "e2e-reader", err, sizeof err);
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
    }
    rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
    if (rk == nullptr) std::cerr << err << "\n";
    return rk;
}

int partitions_of(rd_kafka_t* rk, const std::string& topic) {
    rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    int n = -1;
    if (rd_kafka_metadata(rk, 0, t, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            n = md->topics[0].partition_cnt;
        }
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_destroy(t);
    return n;
}

int create(const std::string& brokers, const std::string& topic) {
    char err[512];
    rd_kafka_t* rk = make(RD_KAFKA_PRODUCER, brokers);
    if (rk == nullptr) return 1;
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), 2, 1, err, sizeof err);
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
    int rc = 1;
    if (ev != nullptr) {
        size_t n = 0;
        const auto** r =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
        rc = n == 1 && rd_kafka_topic_result_error(r[0]) == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : 1;
        if (rc != 0 && n == 1) std::cerr << rd_kafka_topic_result_error_string(r[0]) << "\n";
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    // A new topic's metadata can take a moment to appear.
    for (int i = 0; rc == 0 && i < 100 && partitions_of(rk, topic) != 2; ++i) {
        rd_kafka_poll(rk, 100);
    }
    rd_kafka_destroy(rk);
    return rc;
}

int read(const std::string& brokers, const std::string& topic) {
    rd_kafka_t* rk = make(RD_KAFKA_CONSUMER, brokers);
    if (rk == nullptr) return 1;
    const int parts = partitions_of(rk, topic);
    if (parts <= 0) {
        std::cerr << "no topic " << topic << "\n";
        return 1;
    }
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(parts);
    for (int p = 0; p < parts; ++p) {
        rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
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

int produce(const std::string& brokers, const std::string& topic) {
    rd_kafka_t* rk = make(RD_KAFKA_PRODUCER, brokers);
    if (rk == nullptr) return 1;
    int rc = 0;
    for (std::string line; rc == 0 && std::getline(std::cin, line);) {
        const auto tab = line.find('\t');
        const std::string key = tab == std::string::npos ? std::string() : line.substr(0, tab);
        const std::string value = tab == std::string::npos ? line : line.substr(tab + 1);
        const rd_kafka_resp_err_t err = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(key.data(), key.size()),
            RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR || rd_kafka_flush(rk, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            std::cerr << "produce failed: " << rd_kafka_err2str(err) << "\n";
            rc = 1;
        } else {
            std::cout << "acked" << std::endl;
        }
    }
    rd_kafka_destroy(rk);
    return rc;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: e2e_kafka_tool <brokers> create|read|produce <topic>\n";
        return 2;
    }
    const std::string cmd = argv[2];
    if (cmd == "create") return create(argv[1], argv[3]);
    if (cmd == "read") return read(argv[1], argv[3]);
    if (cmd == "produce") return produce(argv[1], argv[3]);
    return 2;
}
