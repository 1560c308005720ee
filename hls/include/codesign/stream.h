// codesign/stream.h -- streams and dataflow regions, for synthesis and for threaded csim.
//
// Port type: every kernel takes `codesign::stream<T>&`. Normally that is exactly
// hls::stream<T>. The depth is not part of the type (so a kernel accepts streams of any
// depth); it belongs to the declaration, written with
//
//     CODESIGN_STREAM(name, DEPTH, T);   // T may contain commas
//
// which declares `codesign::stream<T> name("name")` and places
// `#pragma HLS STREAM variable=name depth=DEPTH type=fifo` right beside it.
//
// A dataflow region is written as
//
//     #pragma HLS DATAFLOW
//     CODESIGN_STREAM(s1, 2, beat_t);
//     CODESIGN_DATAFLOW_BEGIN
//     CODESIGN_PROCESS(conv1, codesign::conv2d<conv1_cfg>(in, s1, w1, b1));
//     CODESIGN_PROCESS(relu1, codesign::relu<relu1_cfg>(s1, out));
//     CODESIGN_DATAFLOW_END
//
// Without CODESIGN_THREADED_CSIM, BEGIN/END vanish and each PROCESS is the plain call:
// the code synthesized is ordinary sequential dataflow C++ (and csim runs the processes
// in order, as Vitis csim does).
//
// With CODESIGN_THREADED_CSIM defined (testbench builds only; this path uses threads,
// mutexes and heap-backed queues and is never synthesized):
//   * a stream declared by CODESIGN_STREAM is a blocking FIFO holding at most DEPTH
//     beats: write() waits while it is full, read() while it is empty -- as in hardware;
//     streams declared without a depth (top ports, testbench buffers) are unbounded;
//   * each CODESIGN_PROCESS runs in its own thread (codesign::dataflow);
//     CODESIGN_DATAFLOW_END waits for all of them;
//   * a watchdog: when every process of the region is blocked and no beat has moved for
//     CODESIGN_DEADLOCK_TIMEOUT_MS (default 1000), it prints to stderr
//         codesign: DEADLOCK: all N dataflow processes are blocked
//         codesign:   process 'relu1' blocked reading stream 's1' (empty, 0/2)
//     and exits with status CODESIGN_DEADLOCK_EXIT_CODE (default 3);
//   * reading an empty stream outside a dataflow process (a testbench bug that
//     sequential csim only warns about) is reported the same way, status 3.
#ifndef CODESIGN_STREAM_H
#define CODESIGN_STREAM_H

#define CODESIGN_PRAGMA_SUB(x) _Pragma(#x)
#define CODESIGN_PRAGMA(x) CODESIGN_PRAGMA_SUB(x)

#ifndef CODESIGN_THREADED_CSIM

#include <hls_stream.h>

namespace codesign {
template <class T>
using stream = hls::stream<T>;
}  // namespace codesign

#define CODESIGN_STREAM(NAME, DEPTH, ...)          \
    ::codesign::stream<__VA_ARGS__> NAME(#NAME); \
    CODESIGN_PRAGMA(HLS STREAM variable=NAME depth=DEPTH type=fifo)
#define CODESIGN_DATAFLOW_BEGIN
#define CODESIGN_PROCESS(NAME, ...) __VA_ARGS__
#define CODESIGN_DATAFLOW_END

#else  // CODESIGN_THREADED_CSIM: testbench-only code below

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#ifndef CODESIGN_DEADLOCK_TIMEOUT_MS
#define CODESIGN_DEADLOCK_TIMEOUT_MS 1000
#endif
#ifndef CODESIGN_DEADLOCK_EXIT_CODE
#define CODESIGN_DEADLOCK_EXIT_CODE 3
#endif

namespace codesign {

namespace threaded {

// Where the processes of the running dataflow region stand. One region at a time.
class monitor {
   public:
    static monitor& get() {
        static monitor instance;
        return instance;
    }

    // Called by a process thread about to wait on a stream; `what` describes the wait.
    void blocked(const std::string& what) {
        std::lock_guard<std::mutex> lock(mutex_);
        waits_[process_index()] = what;
        ++n_blocked_;
        changed_.notify_all();
    }
    void unblocked() {
        std::lock_guard<std::mutex> lock(mutex_);
        waits_[process_index()].clear();
        --n_blocked_;
    }
    void moved() {
        std::lock_guard<std::mutex> lock(mutex_);
        ++progress_;
    }

    bool in_process() const { return current_index() >= 0; }

    void start_region(const std::vector<std::string>& names) {
        std::lock_guard<std::mutex> lock(mutex_);
        names_ = names;
        waits_.assign(names.size(), std::string());
        n_blocked_ = 0;
        n_finished_ = 0;
    }
    void finished() {
        std::lock_guard<std::mutex> lock(mutex_);
        ++n_finished_;
        changed_.notify_all();
    }

    // Waits until every process finished; exits the program on a deadlock.
    void watch() {
        const std::chrono::milliseconds timeout(CODESIGN_DEADLOCK_TIMEOUT_MS);
        std::unique_lock<std::mutex> lock(mutex_);
        unsigned long long seen_progress = progress_;
        auto stuck_since = std::chrono::steady_clock::now();
        while (n_finished_ < names_.size()) {
            changed_.wait_for(lock, std::chrono::milliseconds(10));
            const auto now = std::chrono::steady_clock::now();
            const bool all_blocked = n_blocked_ + n_finished_ == names_.size();
            if (!all_blocked || progress_ != seen_progress) {
                seen_progress = progress_;
                stuck_since = now;
            } else if (now - stuck_since >= timeout) {
                report_deadlock();
            }
        }
    }

    static void fail(const std::string& message) {
        std::fprintf(stderr, "codesign: %s\n", message.c_str());
        std::fflush(stderr);
        std::_Exit(CODESIGN_DEADLOCK_EXIT_CODE);
    }

    static int& current_index() {
        static thread_local int index = -1;
        return index;
    }

   private:
    monitor() = default;

    std::size_t process_index() const { return static_cast<std::size_t>(current_index()); }

    void report_deadlock() {
        std::fprintf(stderr, "codesign: DEADLOCK: all %u dataflow processes are blocked\n",
                     static_cast<unsigned>(names_.size() - n_finished_));
        for (std::size_t p = 0; p < names_.size(); ++p) {
            if (!waits_[p].empty()) {
                std::fprintf(stderr, "codesign:   process '%s' blocked %s\n", names_[p].c_str(),
                             waits_[p].c_str());
            }
        }
        std::fflush(stderr);
        std::_Exit(CODESIGN_DEADLOCK_EXIT_CODE);
    }

    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::string> names_;
    std::vector<std::string> waits_;
    std::size_t n_blocked_ = 0;
    std::size_t n_finished_ = 0;
    unsigned long long progress_ = 0;
};

}  // namespace threaded

// Bounded blocking FIFO with hls::stream's interface (read, write, empty, full, size).
template <class T>
class stream {
   public:
    static constexpr std::size_t unbounded = 0;

    explicit stream(const char* name = "stream", std::size_t depth = unbounded)
        : name_(name), depth_(depth) {}
    stream(const stream&) = delete;
    stream& operator=(const stream&) = delete;

    void write(const T& beat) {
        std::unique_lock<std::mutex> lock(mutex_);
        if (is_full()) {
            wait(lock, "writing", [this] { return !is_full(); });
        }
        data_.push_back(beat);
        lock.unlock();
        ready_.notify_all();
        threaded::monitor::get().moved();
    }

    T read() {
        std::unique_lock<std::mutex> lock(mutex_);
        if (data_.empty()) {
            wait(lock, "reading", [this] { return !data_.empty(); });
        }
        T beat = data_.front();
        data_.pop_front();
        lock.unlock();
        ready_.notify_all();
        threaded::monitor::get().moved();
        return beat;
    }
    void read(T& beat) { beat = read(); }
    void operator>>(T& beat) { beat = read(); }
    void operator<<(const T& beat) { write(beat); }

    bool empty() {
        std::lock_guard<std::mutex> lock(mutex_);
        return data_.empty();
    }
    bool full() {
        std::lock_guard<std::mutex> lock(mutex_);
        return is_full();
    }
    std::size_t size() {
        std::lock_guard<std::mutex> lock(mutex_);
        return data_.size();
    }
    const std::string& name() const { return name_; }

   private:
    bool is_full() const { return depth_ != unbounded && data_.size() >= depth_; }

    template <class READY>
    void wait(std::unique_lock<std::mutex>& lock, const char* doing, READY ready) {
        const std::string what = std::string(doing) + " stream '" + name_ + "' (" +
                                 (data_.empty() ? "empty" : "full") + ", " +
                                 std::to_string(data_.size()) + "/" +
                                 (depth_ == unbounded ? std::string("unbounded")
                                                      : std::to_string(depth_)) +
                                 ")";
        threaded::monitor& mon = threaded::monitor::get();
        if (!mon.in_process()) {
            threaded::monitor::fail("outside any dataflow process: blocked " + what);
        }
        mon.blocked(what);
        ready_.wait(lock, ready);
        mon.unblocked();
    }

    std::string name_;
    std::size_t depth_;
    std::deque<T> data_;
    std::mutex mutex_;
    std::condition_variable ready_;
};

// A dataflow region: each process runs in its own thread; join() waits for all.
class dataflow {
   public:
    dataflow() = default;
    dataflow(const dataflow&) = delete;
    dataflow& operator=(const dataflow&) = delete;

    void process(const char* name, std::function<void()> body) {
        names_.push_back(name);
        bodies_.push_back(body);
    }

    void join() {
        threaded::monitor& mon = threaded::monitor::get();
        mon.start_region(names_);
        std::vector<std::thread> threads;
        for (std::size_t p = 0; p < bodies_.size(); ++p) {
            threads.emplace_back([this, p, &mon] {
                threaded::monitor::current_index() = static_cast<int>(p);
                bodies_[p]();
                mon.finished();
            });
        }
        mon.watch();
        for (std::thread& t : threads) {
            t.join();
        }
    }

   private:
    std::vector<std::string> names_;
    std::vector<std::function<void()> > bodies_;
};

}  // namespace codesign

#define CODESIGN_STREAM(NAME, DEPTH, ...) ::codesign::stream<__VA_ARGS__> NAME(#NAME, DEPTH)
#define CODESIGN_DATAFLOW_BEGIN ::codesign::dataflow codesign_dataflow_region;
#define CODESIGN_PROCESS(NAME, ...) codesign_dataflow_region.process(#NAME, [&]() { __VA_ARGS__; })
#define CODESIGN_DATAFLOW_END codesign_dataflow_region.join();

#endif  // CODESIGN_THREADED_CSIM

#endif  // CODESIGN_STREAM_H
