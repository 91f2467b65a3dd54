package org.sdmodel.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A one-line progress bar on standard error: bytes done of total, rate, time left. Drawn only when
 * standard error is a terminal and not quieted; redrawn at most five times a second, from
 * whichever thread reports progress.
 */
final class ProgressBar implements AutoCloseable {
    private static final long REDRAW_NANOS = 200_000_000L;

    private final PrintWriter err;
    private final String label;
    private final long total;
    private final boolean enabled;
    private final long start = System.nanoTime();
    private final long initial;
    private final AtomicLong done;
    private final AtomicLong lastDraw = new AtomicLong();
    private int lastLength;

    ProgressBar(PrintWriter err, String label, long total, boolean enabled) {
        this(err, label, total, enabled, 0);
    }

    /** A bar that starts at {@code initial} bytes already done (a resumed download); the rate counts only new bytes. */
    ProgressBar(PrintWriter err, String label, long total, boolean enabled, long initial) {
        this.err = err;
        this.label = label;
        this.total = Math.max(1, total);
        this.enabled = enabled;
        this.initial = initial;
        this.done = new AtomicLong(initial);
    }

    /** True when standard error is an interactive terminal. */
    static boolean terminal() {
        return System.console() != null && System.getenv("CI") == null;
    }

    void advance(long bytes) {
        long now = done.addAndGet(bytes);
        if (!enabled) {
            return;
        }
        long t = System.nanoTime();
        long last = lastDraw.get();
        if ((t - last >= REDRAW_NANOS || now >= total) && lastDraw.compareAndSet(last, t)) {
            draw(now, t);
        }
    }

    private synchronized void draw(long now, long t) {
        double seconds = Math.max(1e-9, (t - start) / 1e9);
        double rate = (now - initial) / seconds;
        double fraction = Math.min(1.0, now / (double) total);
        int width = 24;
        int filled = (int) (fraction * width);
        String eta = rate > 0 && now < total ? time((total - now) / rate) : "0:00";
        String line = String.format(Locale.ROOT, "%s [%s%s] %3d%% %s/%s %s/s ETA %s", label,
                "#".repeat(filled), ".".repeat(width - filled), (int) (fraction * 100), Sizes.human(now),
                Sizes.human(total), Sizes.human((long) rate), eta);
        err.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
        err.flush();
        lastLength = line.length();
    }

    private static String time(double seconds) {
        long s = (long) Math.ceil(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    @Override
    public synchronized void close() {
        if (enabled && lastLength > 0) {
            err.print("\r" + " ".repeat(lastLength) + "\r");
            err.flush();
        }
    }
}
