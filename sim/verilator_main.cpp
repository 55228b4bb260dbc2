// Co-simulation harness for a generated top level, verilated with `--prefix Vtop`.
//
// Drives the AXI-Stream ports of docs/rtl-architecture.md ("Top level (generated)") from a stimulus
// file and records the output beats. The same file compiles for any IN_BITS (the width of
// s_axis_tdata): the data is set through overloads for CData/SData/IData/QData/VlWide<N>.
// sim/tb_top.sv is the Icarus twin: same arguments, same file formats, same PRNG and the same
// cycle-by-cycle stall pattern, so both simulators give identical cycle stamps for one seed.
//
// Compile-time defines: GR_IN_BITS (required, checked against the port type), GR_TRACE (optional:
// FST tracing, build with --trace-fst).
//
// Arguments (plusargs, any order):
//   +stim=PATH         stimulus, one input beat per line: "<hex tdata> <tlast 0|1>" (hex most
//                      significant digit first, any number of digits, no 0x)
//   +out=PATH          result file (format below)
//   +beats=N           output beats to collect before stopping with status ok
//   +max_cycles=N      stop with status timeout after N cycles (after reset)          [1e9]
//   +idle_limit=N      stop with status stalled after N cycles without an output beat  [1e6]
//   +p_in=PCT          probability (integer percent) that s_axis_tvalid is withheld in a cycle
//   +p_out=PCT         probability (integer percent) that m_axis_tready is low in a cycle
//   +p_in_ppm=N, +p_out_ppm=N   the same in parts per million (win over +p_in/+p_out)
//   +seed=N            32-bit seed of the stall PRNG and of Verilator's random initial values
//   +trace=PATH        FST trace (only when compiled with GR_TRACE)
//   +reset_after_in=K  reset in mid-stream, once: D cycles after the K-th input beat (K >= 1) was
//   +reset_delay=D     accepted, rst_n = 0 for 5 rising edges (tvalid and tready 0); beats from
//   +resume_at=J       index J on are offered only after it, from J on [J = K: the next beat]
//
// Result file, in cycle order (an IN line comes before an output line of the same cycle):
//   IN <beat index> <cycle>       for the first beat of the stimulus, every beat following a tlast
//                                 beat (first pixel of an image) and every tlast beat (last pixel)
//   <cycle> <tdata, 8 hex digits> <tlast>   one line per output beat
//   RESET <cycle> <beats>         the mid-stream reset (its first cycle; output beats before it);
//                                 the output count (+beats) and the idle count start again
//   END <total cycles> <ok|timeout|stalled>
// Cycle 0 is the first rising edge with rst_n = 1; a beat "at cycle c" moved on that edge.
// Reset: rst_n = 0 for 5 rising edges, s_axis_tvalid = 0 and m_axis_tready = 0 meanwhile.
// Exit status 0 when END was written (whatever the status), 2 on bad arguments or stimulus, or when
// the parent process has gone (checked every 65536 cycles, so an orphaned run does not go on).

#include "Vtop.h"
#include "verilated.h"

#ifdef GR_TRACE
#include "verilated_fst_c.h"
#endif

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#ifndef GR_IN_BITS
#error "compile with -DGR_IN_BITS=<width of s_axis_tdata>"
#endif

namespace {

constexpr int kResetCycles = 5;
constexpr std::size_t kInWords = (GR_IN_BITS + 31) / 32;

// ---- width-generic port assignment --------------------------------------------------------------
constexpr std::size_t portBytes(std::size_t bits) {
    return bits <= 8 ? 1 : bits <= 16 ? 2 : bits <= 32 ? 4 : bits <= 64 ? 8 : 4 * ((bits + 31) / 32);
}

inline void setData(CData& d, const uint32_t* w) { d = static_cast<CData>(w[0]); }
inline void setData(SData& d, const uint32_t* w) { d = static_cast<SData>(w[0]); }
inline void setData(IData& d, const uint32_t* w) { d = w[0]; }
inline void setData(QData& d, const uint32_t* w) {
    d = static_cast<QData>(w[0]) | static_cast<QData>(w[1]) << 32;  // only used when 32 < IN_BITS <= 64
}
template <std::size_t N>
inline void setData(VlWide<N>& d, const uint32_t* w) {
    static_assert(N == kInWords, "s_axis_tdata width differs from GR_IN_BITS");
    for (std::size_t i = 0; i < N; ++i) d[i] = w[i];
}

// ---- the stall PRNG (xorshift32; tb_top.sv implements the same) ---------------------------------
struct Prng {
    uint32_t s;
    explicit Prng(uint32_t seed) : s(seed ^ 0x2545F491u) {
        if (s == 0) s = 1;
    }
    uint32_t next() {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        return s;
    }
};

[[noreturn]] void die(const std::string& msg) {
    std::fprintf(stderr, "%%Error: verilator_main: %s\n", msg.c_str());
    std::exit(2);
}

bool plusarg(int argc, char** argv, const char* name, std::string& out) {
    const std::size_t n = std::strlen(name);
    for (int i = 1; i < argc; ++i) {
        if (argv[i][0] == '+' && std::strncmp(argv[i] + 1, name, n) == 0 && argv[i][1 + n] == '=') {
            out = argv[i] + 2 + n;
            return true;
        }
    }
    return false;
}

uint64_t numArg(int argc, char** argv, const char* name, uint64_t dflt) {
    std::string v;
    if (!plusarg(argc, argv, name, v)) return dflt;
    char* end = nullptr;
    const unsigned long long x = std::strtoull(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0') die(std::string("+") + name + "=" + v + " is not a non-negative integer");
    return x;
}

uint32_t ppmArg(int argc, char** argv, const char* pct, const char* ppm) {
    std::string v;
    uint64_t x = plusarg(argc, argv, ppm, v) ? numArg(argc, argv, ppm, 0) : numArg(argc, argv, pct, 0) * 10000;
    if (x > 1000000) die(std::string("stall probability +") + pct + " is above 100%");
    return static_cast<uint32_t>(x);
}

// Stimulus: kInWords little-endian 32-bit words per beat, plus the tlast flags.
struct Stimulus {
    std::vector<uint32_t> words;
    std::vector<uint8_t> last;
    std::size_t size() const { return last.size(); }
};

int hexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

Stimulus readStimulus(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) die("cannot open stimulus " + path);
    std::string text;
    char buf[1 << 16];
    std::size_t got;
    while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, got);
    std::fclose(f);

    Stimulus st;
    std::size_t pos = 0, line = 0;
    const std::size_t n = text.size();
    while (pos < n) {
        ++line;
        std::size_t eol = text.find('\n', pos);
        if (eol == std::string::npos) eol = n;
        std::size_t a = pos, b = eol;
        pos = eol + 1;
        while (a < b && (text[a] == ' ' || text[a] == '\t' || text[a] == '\r')) ++a;
        while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t' || text[b - 1] == '\r')) --b;
        if (a == b) continue;
        std::size_t h = a;
        while (h < b && hexDigit(text[h]) >= 0) ++h;
        std::size_t t = h;
        while (t < b && (text[t] == ' ' || text[t] == '\t')) ++t;
        if (h == a || t == h || t + 1 != b || (text[t] != '0' && text[t] != '1'))
            die(path + ":" + std::to_string(line) + ": expected \"<hex> <0|1>\"");
        const std::size_t base = st.words.size();
        st.words.resize(base + kInWords, 0);
        std::size_t bit = 0;
        for (std::size_t k = h; k > a; --k, bit += 4) {
            const uint32_t d = static_cast<uint32_t>(hexDigit(text[k - 1]));
            if (d == 0) continue;
            // Highest set bit of this digit must lie below GR_IN_BITS.
            const std::size_t top = bit + (d >= 8 ? 3 : d >= 4 ? 2 : d >= 2 ? 1 : 0);
            if (top >= static_cast<std::size_t>(GR_IN_BITS))
                die(path + ":" + std::to_string(line) + ": data wider than " + std::to_string(GR_IN_BITS) + " bits");
            st.words[base + bit / 32] |= d << (bit % 32);
        }
        st.last.push_back(text[t] == '1' ? 1 : 0);
    }
    return st;
}

}  // namespace

int main(int argc, char** argv) {
    std::string stimPath, outPath, tracePath;
    if (!plusarg(argc, argv, "stim", stimPath)) die("missing +stim=PATH");
    if (!plusarg(argc, argv, "out", outPath)) die("missing +out=PATH");
    const uint64_t expected = numArg(argc, argv, "beats", 0);
    const uint64_t maxCycles = numArg(argc, argv, "max_cycles", 1000000000ULL);
    const uint64_t idleLimit = numArg(argc, argv, "idle_limit", 1000000ULL);
    const uint32_t pIn = ppmArg(argc, argv, "p_in", "p_in_ppm");
    const uint32_t pOut = ppmArg(argc, argv, "p_out", "p_out_ppm");
    const uint32_t seed = static_cast<uint32_t>(numArg(argc, argv, "seed", 1));
    const bool wantTrace = plusarg(argc, argv, "trace", tracePath);
    const uint64_t resetAfterIn = numArg(argc, argv, "reset_after_in", 0);
    const uint64_t resetDelay = numArg(argc, argv, "reset_delay", 0);
    const uint64_t resumeAt = numArg(argc, argv, "resume_at", resetAfterIn);
#ifndef GR_TRACE
    if (wantTrace) die("+trace given but the simulator was built without tracing (-DGR_TRACE --trace-fst)");
#endif

    const Stimulus stim = readStimulus(stimPath);
    FILE* out = std::fopen(outPath.c_str(), "w");
    if (!out) die("cannot write " + outPath);
    static char outBuf[1 << 16];
    std::setvbuf(out, outBuf, _IOFBF, sizeof outBuf);

    const std::unique_ptr<VerilatedContext> ctx{new VerilatedContext};
    ctx->commandArgs(argc, argv);
    ctx->randReset(2);  // random initial values: unreset data registers must not matter
    ctx->randSeed(static_cast<int>(seed & 0x7fffffffu) + 1);
#ifdef GR_TRACE
    if (wantTrace) ctx->traceEverOn(true);
#endif
    const std::unique_ptr<Vtop> top{new Vtop{ctx.get(), "top"}};
    static_assert(sizeof(top->s_axis_tdata) == portBytes(GR_IN_BITS), "s_axis_tdata width differs from GR_IN_BITS");

#ifdef GR_TRACE
    std::unique_ptr<VerilatedFstC> tfp;
    if (wantTrace) {
        tfp.reset(new VerilatedFstC);
        top->trace(tfp.get(), 99);
        tfp->open(tracePath.c_str());
    }
    auto dump = [&]() {
        if (tfp) tfp->dump(ctx->time());
        ctx->timeInc(1);
    };
#else
    auto dump = [&]() {};
#endif

    // Reset: rst_n low for kResetCycles rising edges, both handshakes idle.
    auto reset = [&]() {
        top->clk = 0;
        top->rst_n = 0;
        top->s_axis_tvalid = 0;
        top->s_axis_tlast = 0;
        top->m_axis_tready = 0;
        top->eval();
        dump();
        for (int i = 0; i < kResetCycles; ++i) {
            top->clk = 1;
            top->eval();
            dump();
            top->clk = 0;
            top->eval();
            dump();
        }
        top->rst_n = 1;
    };
    reset();
    if (resetAfterIn > 0 && (resetAfterIn > stim.size() || resumeAt < resetAfterIn || resumeAt > stim.size()))
        die("+reset_after_in and +resume_at must satisfy 1 <= reset_after_in <= resume_at <= stimulus beats");

    // Orphan guard: if whoever started us dies, stop instead of running on (checked every 2^16 cycles).
    const pid_t parent = getppid();

    Prng prng(seed);
    const std::size_t nIn = stim.size();
    std::size_t inIdx = 0;      // next stimulus beat to offer
    bool inValid = false;       // s_axis_tvalid of the current cycle
    bool firstOfImage = true;   // inIdx starts an image
    uint64_t outCount = 0;
    uint64_t cycle = 0;
    uint64_t lastOutCycle = 0;  // cycle after the last output beat (0: none yet)
    const char* status = "ok";
    bool resetPending = resetAfterIn > 0;
    uint64_t resetAt = UINT64_MAX;  // cycle of the mid-stream reset, once its input beat has moved

    while (outCount < expected) {
        if (resetPending && cycle >= resetAt) {
            std::fprintf(out, "RESET %llu %llu\n", static_cast<unsigned long long>(cycle), static_cast<unsigned long long>(outCount));
            reset();
            cycle += kResetCycles;
            resetPending = false;
            inValid = false;
            inIdx = resumeAt;
            firstOfImage = true;
            outCount = 0;
            lastOutCycle = cycle;
        }
        // Drive the inputs of this cycle (before the reset, not the beats kept for after it).
        const std::size_t inLimit = resetPending ? resumeAt : nIn;
        const uint32_t rIn = prng.next() % 1000000u;
        const uint32_t rOut = prng.next() % 1000000u;
        if (!inValid && inIdx < inLimit && rIn >= pIn) {
            inValid = true;
            setData(top->s_axis_tdata, &stim.words[inIdx * kInWords]);
            top->s_axis_tlast = stim.last[inIdx];
        }
        top->s_axis_tvalid = inValid;
        top->m_axis_tready = rOut >= pOut;
        top->clk = 0;
        top->eval();
        dump();

        // Handshakes on this rising edge.
        if (inValid && top->s_axis_tready) {
            if (firstOfImage || stim.last[inIdx])
                std::fprintf(out, "IN %zu %llu\n", inIdx, static_cast<unsigned long long>(cycle));
            firstOfImage = stim.last[inIdx] != 0;
            ++inIdx;
            inValid = false;
            if (resetPending && inIdx == resetAfterIn) resetAt = cycle + 1 + resetDelay;
        }
        if (top->m_axis_tvalid && top->m_axis_tready) {
            std::fprintf(out, "%llu %08x %d\n", static_cast<unsigned long long>(cycle),
                         static_cast<unsigned>(top->m_axis_tdata), top->m_axis_tlast ? 1 : 0);
            ++outCount;
            lastOutCycle = cycle + 1;
        }
        top->clk = 1;
        top->eval();
        dump();
        ++cycle;

        if (outCount >= expected) break;
        if (cycle - lastOutCycle >= idleLimit) {
            status = "stalled";
            break;
        }
        if (cycle >= maxCycles) {
            status = "timeout";
            break;
        }
        if ((cycle & 0xffff) == 0 && getppid() != parent) {
            std::fclose(out);
            die("parent process gone; stopping");
        }
    }

    std::fprintf(out, "END %llu %s\n", static_cast<unsigned long long>(cycle), status);
    const bool writeFailed = std::ferror(out) != 0;
    std::fclose(out);
    top->final();
#ifdef GR_TRACE
    if (tfp) tfp->close();
#endif
    if (writeFailed) die("error writing " + outPath);
    return 0;
}
