// clickstream-processor: the processor's stages as subcommands. Only
// `enrich` exists so far (raw → clean, bots, dlq; docs/processor.md).
#pragma once

namespace clickstream::processor {

// Exit status: 0 stopped by a signal, 1 start-up failed (the log says why),
// 2 bad arguments or config.
int run(int argc, char** argv);

}  // namespace clickstream::processor
