package org.sdmodel.cli;

import java.io.PrintWriter;
import java.io.Writer;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * A one-line progress bar on standard error: bytes done of total, rate, time left. Drawn only when
 * standard error is a terminal and not quieted; redrawn at most five times a second, from
 * whichever thread reports progress.
 *
 * <p>The line fits the terminal (one column short of its width, so that it never wraps): the file
 * name is shortened first, then the bar, then the rate and time left go. The line is always ended:
 * closing the bar erases it; anything else printed meanwhile (through a writer from
 * {@link #endingLines}) erases it first, and the next update draws it again below; and when the
 * JVM exits before the bar is closed (Ctrl-C), a shutdown hook ends the line, so that the shell's
 * prompt starts on a line of its own.
 */
final class ProgressBar implements AutoCloseable {
    private static final long REDRAW_NANOS = 200_000_000L;
    private static final int BAR_WIDTH = 24;
    private static final int MIN_BAR_WIDTH = 8;
    private static final int MIN_LABEL_WIDTH = 16;

    /** Guards the terminal line: drawing it, erasing it, and ending it for other output. */
    private static final Object LINE = new Object();
    /** The bar whose line is on the terminal now, or null (read without the lock by writers, to skip it when null). */
    private static volatile ProgressBar shown;
    /** True while a bar writes to the terminal: its own output ends no line. */
    private static boolean drawing;
    private static boolean hookAdded;

    private final PrintWriter err;
    private final String label;
    private final long total;
    private final boolean enabled;
    private final IntSupplier columns;
    private final long start = System.nanoTime();
    private final long initial;
    private final AtomicLong done;
    private final AtomicLong lastDraw = new AtomicLong();
    private int shownWidth;
    private boolean closed;

    ProgressBar(PrintWriter err, String label, long total, boolean enabled) {
        this(err, label, total, enabled, 0);
    }

    /** A bar that starts at {@code initial} bytes already done (a resumed download); the rate counts only new bytes. */
    ProgressBar(PrintWriter err, String label, long total, boolean enabled, long initial) {
        this(err, label, total, enabled, initial, Terminal::columns);
    }

    /** @param columns the terminal's width; 0 while it is not known yet (nothing is drawn then) */
    ProgressBar(PrintWriter err, String label, long total, boolean enabled, IntSupplier columns) {
        this(err, label, total, enabled, 0, columns);
    }

    private ProgressBar(PrintWriter err, String label, long total, boolean enabled, long initial, IntSupplier columns) {
        this.err = err;
        this.label = label;
        this.total = Math.max(1, total);
        this.enabled = enabled;
        this.initial = initial;
        this.done = new AtomicLong(initial);
        this.columns = columns;
        if (enabled) {
            endLineAtExit();
        }
    }

    /** True when standard error is an interactive terminal. */
    static boolean terminal() {
        return Terminal.stderrIsTerminal();
    }

    /**
     * A writer to {@code out} that, before anything is written through it, erases the line of the
     * progress bar shown (if any), so that messages never land on a bar's line.
     */
    static PrintWriter endingLines(PrintWriter out) {
        return new PrintWriter(new Writer() {
            @Override
            public void write(char[] buf, int off, int len) {
                if (shown == null) {
                    out.write(buf, off, len);
                    return;
                }
                // erasing writes through this writer too, and java.io.Writer may hand us its own
                // buffer, which that would overwrite: keep the text first
                char[] text = java.util.Arrays.copyOfRange(buf, off, off + len);
                endLineForOtherOutput();
                out.write(text, 0, len);
            }

            @Override
            public void flush() {
                out.flush();
            }

            @Override
            public void close() {
                out.close();
            }
        }, true);
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

    private void draw(long now, long t) {
        int width = columns.getAsInt();
        if (width <= 0) {
            return; // the terminal's width is being asked: draw nothing rather than a line that wraps
        }
        String line = line(now, t, width - 1);
        synchronized (LINE) {
            if (closed) {
                return;
            }
            if (shown != null && shown != this) {
                shown.eraseLocked();
            }
            int lineWidth = width(line);
            writeLocked("\r" + line + " ".repeat(Math.max(0, shownWidth - lineWidth)));
            shownWidth = lineWidth;
            shown = this;
        }
    }

    /** The bar's text in at most {@code max} columns. */
    String line(long now, long t, int max) {
        double seconds = Math.max(1e-9, (t - start) / 1e9);
        double rate = (now - initial) / seconds;
        double fraction = Math.min(1.0, now / (double) total);
        String eta = rate > 0 && now < total ? time((total - now) / rate) : "0:00";
        String amount = String.format(Locale.ROOT, "%3d%% %s/%s", (int) (fraction * 100), Sizes.human(now), Sizes.human(total));
        String stats = amount + String.format(Locale.ROOT, " %s/s ETA %s", Sizes.human((long) rate), eta);
        // the file name gives way first, then the bar, then the rate and time left
        int room = max - width(stats) - BAR_WIDTH - 4; // " [" bar "] "
        String name = room >= width(label) ? label : shorten(label, Math.max(MIN_LABEL_WIDTH, room));
        int barWidth = Math.min(BAR_WIDTH, max - width(stats) - width(name) - 4);
        if (barWidth < MIN_BAR_WIDTH) {
            String line = name + " " + stats;
            if (width(line) > max) {
                line = name + " " + amount;
            }
            return width(line) > max ? shorten(line, max) : line;
        }
        int filled = (int) (fraction * barWidth);
        return name + " [" + "#".repeat(filled) + ".".repeat(barWidth - filled) + "] " + stats;
    }

    /** {@code s} in at most {@code max} columns: its start and end around "...". */
    static String shorten(String s, int max) {
        if (width(s) <= max) {
            return s;
        }
        if (max <= 3) {
            return ".".repeat(Math.max(0, max));
        }
        int keep = max - 3;
        int head = (keep + 1) / 2;
        int tail = keep - head;
        StringBuilder front = new StringBuilder();
        int w = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (w + columns(cp) > head) {
                break;
            }
            front.appendCodePoint(cp);
            w += columns(cp);
            i += Character.charCount(cp);
        }
        StringBuilder back = new StringBuilder();
        w = 0;
        for (int i = s.length(); i > 0; ) {
            int cp = s.codePointBefore(i);
            if (w + columns(cp) > tail) {
                break;
            }
            back.insert(0, Character.toChars(cp));
            w += columns(cp);
            i -= Character.charCount(cp);
        }
        return front + "..." + back;
    }

    /** The columns a terminal gives {@code s}: East Asian wide characters take two. */
    static int width(String s) {
        int w = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            w += columns(cp);
            i += Character.charCount(cp);
        }
        return w;
    }

    private static int columns(int cp) {
        int type = Character.getType(cp);
        if (type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK || type == Character.FORMAT) {
            return 0;
        }
        boolean wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF && cp != 0x303F)
                || (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F)
                || (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F)
                || (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD);
        return wide ? 2 : 1;
    }

    private static String time(double seconds) {
        long s = (long) Math.ceil(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    /** Writes the bar's own output (which ends no line) while holding {@link #LINE}. */
    private void writeLocked(String s) {
        drawing = true;
        try {
            err.print(s);
            err.flush();
        } finally {
            drawing = false;
        }
    }

    private void eraseLocked() {
        if (shownWidth > 0) {
            writeLocked("\r" + " ".repeat(shownWidth) + "\r");
        }
        shownWidth = 0;
        if (shown == this) {
            shown = null;
        }
    }

    /** Erases the bar's line before other output; the bar draws itself again at its next update. */
    static void endLineForOtherOutput() {
        synchronized (LINE) {
            if (!drawing && shown != null) {
                shown.eraseLocked();
            }
        }
    }

    /**
     * The JVM is exiting with a bar on the screen (Ctrl-C, or an exit nothing closed the bar
     * before): the bar stays as it was, where it stopped, and its line is ended.
     */
    static void endLineAtExitNow() {
        synchronized (LINE) {
            if (shown != null) {
                ProgressBar bar = shown;
                bar.writeLocked("\n");
                bar.closed = true;
                bar.shownWidth = 0;
                shown = null;
            }
        }
    }

    private static void endLineAtExit() {
        synchronized (LINE) {
            if (!hookAdded) {
                hookAdded = true;
                Runtime.getRuntime().addShutdownHook(new Thread(ProgressBar::endLineAtExitNow, "sdmodel-progress-line"));
            }
        }
    }

    @Override
    public void close() {
        synchronized (LINE) {
            closed = true;
            if (shown == this) {
                eraseLocked();
            }
        }
    }
}
