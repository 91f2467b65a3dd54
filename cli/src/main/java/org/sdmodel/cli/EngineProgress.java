package org.sdmodel.cli;

import java.io.PrintWriter;
import org.sdmodel.engine.WritePhase;
import org.sdmodel.engine.WriteProgress;

/**
 * The engine's progress as progress bars on standard error: one per phase that reports bytes
 * (writing, verifying, compressing), labelled with the output's name.
 */
final class EngineProgress implements WriteProgress {
    private final PrintWriter err;
    private final String label;
    private final boolean enabled;
    private volatile ProgressBar bar;

    EngineProgress(PrintWriter err, String label, boolean enabled) {
        this.err = err;
        this.label = label;
        this.enabled = enabled;
    }

    @Override
    public void begin(WritePhase phase, long totalBytes) {
        if (phase == WritePhase.WRITE) {
            Trace.mark("writing: the first tensor byte");
        }
        if (totalBytes > 0) {
            String what = phase == WritePhase.WRITE ? "" : phase == WritePhase.VERIFY ? " (verify)" : " (zstd)";
            bar = new ProgressBar(err, label + what, totalBytes, enabled);
        }
    }

    @Override
    public void advance(long bytes) {
        ProgressBar b = bar;
        if (b != null) {
            b.advance(bytes);
        }
    }

    @Override
    public void end(WritePhase phase) {
        if (Trace.ON) {
            Trace.mark(phase.name().toLowerCase(java.util.Locale.ROOT) + " done");
        }
        ProgressBar b = bar;
        if (b != null) {
            b.close();
            bar = null;
        }
    }
}
