package org.sdmodel.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Phase timings for profiling, with {@code SDMODEL_JAVA_OPTS=-Dsdmodel.trace=1}: each mark is
 * printed on standard error when the command ends, in milliseconds since the JVM started, so
 * that the fixed cost (the JVM, picocli, reading the pickle, planning) shows up to the first
 * tensor byte. Marks cost nothing without the property; printing them loads the management
 * classes (for the JVM's start), after the work.
 */
final class Trace {
    static final boolean ON = System.getProperty("sdmodel.trace") != null;

    private static final List<Object[]> MARKS = new ArrayList<>();

    private Trace() {
    }

    /** Notes that {@code what} happened now. */
    static void mark(String what) {
        if (ON) {
            long now = System.nanoTime();
            long cpu = processCpuNanos();
            synchronized (MARKS) {
                MARKS.add(new Object[] {now, what, cpu});
            }
        }
    }

    /**
     * The process's CPU time (all threads: the JIT's too), to see how busy the cores are. Read from
     * {@code /proc/self/stat} on Linux: {@code ProcessHandle}'s info reads the same clock ticks, but
     * loading it (lambdas, a thread pool) took 15 ms of the start-up being measured.
     */
    private static long processCpuNanos() {
        try {
            String stat = new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/self/stat")),
                    java.nio.charset.StandardCharsets.US_ASCII);
            // fields after the command name's closing parenthesis: state is the 3rd field, utime the 14th
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            return ticks * 10_000_000L; // USER_HZ is 100 on every Linux
        } catch (java.io.IOException | RuntimeException e) {
            return ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(-1L);
        }
    }

    /** Prints and forgets the marks. */
    static void print(PrintWriter err) {
        if (!ON) {
            return;
        }
        List<Object[]> marks;
        synchronized (MARKS) {
            marks = new ArrayList<>(MARKS);
            MARKS.clear();
        }
        if (marks.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        double startMs; // the JVM's start, on System.nanoTime's clock, in ms
        try {
            startMs = now / 1e6 - java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
        } catch (LinkageError e) { // a runtime without java.management: times from the first mark
            startMs = (long) marks.get(0)[0] / 1e6;
        }
        for (Object[] m : marks) {
            err.printf(Locale.ROOT, "trace: %7.1f ms %s (CPU %.0f ms)%n", (long) m[0] / 1e6 - startMs, m[1],
                    (long) m[2] / 1e6);
        }
        err.flush();
    }
}
