package org.sdmodel.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * What sdmodel needs to know about the terminal: whether standard error is one, and how wide it
 * is. The width comes from {@code COLUMNS} when the shell exports it, else from {@code stty size}
 * on {@code /dev/tty}, asked once, on a daemon thread: a progress bar waits for the answer at most
 * {@link #WAIT_NANOS} before it assumes 80 columns, and nothing else ever waits for it.
 */
final class Terminal {
    static final int DEFAULT_COLUMNS = 80;
    static final long WAIT_NANOS = 500_000_000L;

    private static volatile int columns;
    private static long asked;

    private Terminal() {
    }

    /** True when standard error is an interactive terminal (and not in CI). */
    static boolean stderrIsTerminal() {
        if (System.console() == null || System.getenv("CI") != null) {
            return false;
        }
        // System.console() looks at standard input and output; 2>file must not get a bar either
        Path fd2 = Path.of("/proc/self/fd/2");
        try {
            String target = Files.readSymbolicLink(fd2).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.startsWith("/dev/console");
        } catch (IOException | UnsupportedOperationException e) {
            return true; // no /proc (not Linux): trust the console
        }
    }

    /**
     * The terminal's width in columns; 0 while {@code stty} has not answered yet (for at most
     * {@link #WAIT_NANOS}), then {@link #DEFAULT_COLUMNS} if it could not tell.
     */
    static int columns() {
        int known = columns;
        if (known > 0) {
            return known;
        }
        synchronized (Terminal.class) {
            if (asked == 0) {
                asked = System.nanoTime();
                int fromEnv = parse(System.getenv("COLUMNS"));
                if (fromEnv > 0) {
                    columns = fromEnv;
                    return fromEnv;
                }
                Thread t = new Thread(Terminal::askStty, "sdmodel-terminal-width");
                t.setDaemon(true);
                t.start();
                return 0;
            }
            return System.nanoTime() - asked > WAIT_NANOS ? DEFAULT_COLUMNS : 0;
        }
    }

    private static void askStty() {
        int found = DEFAULT_COLUMNS;
        try {
            Process p = new ProcessBuilder("stty", "size").redirectInput(new File("/dev/tty"))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            if (p.waitFor(2, TimeUnit.SECONDS)) {
                String[] rowsColumns = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim().split("\\s+");
                if (rowsColumns.length == 2 && parse(rowsColumns[1]) > 0) {
                    found = parse(rowsColumns[1]);
                }
            } else {
                p.destroyForcibly();
            }
        } catch (IOException e) {
            // no stty, or no controlling terminal: the default
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        columns = found;
    }

    private static int parse(String s) {
        if (s == null || !s.matches("\\d{1,4}")) {
            return 0;
        }
        return Integer.parseInt(s);
    }
}
