package org.sdmodel.prune;

import java.util.Objects;
import java.util.regex.Pattern;
import org.sdmodel.component.VaeFile;
import org.sdmodel.convert.Precision;

/**
 * How to prune: what to do with EMA copies, which precision to write, which extra keys to drop
 * or leave unconverted, a VAE to bake in, and whether to repair CLIP's {@code position_ids}.
 *
 * @param ema the EMA policy ({@link EmaPolicy#USE} by default)
 * @param precision the target precision of floating tensors ({@link Precision#FP16} by default)
 * @param drop tensors whose (output) name this pattern finds are removed; null for none
 * @param keep tensors whose name this pattern finds keep their dtype; null for none
 * @param threads worker threads for reading, converting and writing (at least 1)
 * @param bakeVae a VAE whose tensors replace the {@code first_stage_model.*} ones, as the web UI's
 *     merger bakes a VAE (then converted like the rest); null for none
 * @param fixClip reset CLIP's {@code position_ids} to int64 {@code arange(77)}
 */
public record PruneOptions(EmaPolicy ema, Precision precision, Pattern drop, Pattern keep, int threads, VaeFile bakeVae,
        boolean fixClip) {

    /**
     * Creates the record, checking its components.
     *
     * @param ema the EMA policy ({@link EmaPolicy#USE} by default)
     * @param precision the target precision of floating tensors ({@link Precision#FP16} by default)
     * @param drop tensors whose (output) name this pattern finds are removed; null for none
     * @param keep tensors whose name this pattern finds keep their dtype; null for none
     * @param threads worker threads for reading, converting and writing (at least 1)
     * @param bakeVae a VAE whose tensors replace the {@code first_stage_model.*} ones, as the web UI's
     *     merger bakes a VAE (then converted like the rest); null for none
     * @param fixClip reset CLIP's {@code position_ids} to int64 {@code arange(77)}
     */
    public PruneOptions {
        Objects.requireNonNull(ema, "ema");
        Objects.requireNonNull(precision, "precision");
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1");
        }
    }

    /** {@return the defaults of {@code sdmodel prune}: EMA weights used, fp16, one worker per processor (at most 8)} */
    public static PruneOptions defaults() {
        return new PruneOptions(EmaPolicy.USE, Precision.FP16, null, null,
                org.sdmodel.engine.WriteOptions.defaultThreads(), null, false);
    }

    /** {@return what {@code sdmodel convert} does: every tensor of the state dict, unchanged} */
    public static PruneOptions lossless() {
        return defaults().withEma(EmaPolicy.KEEP).withPrecision(Precision.KEEP);
    }

    /**
     * {@return a copy with another {@code ema}}
     *
     * @param e the EMA policy ({@link EmaPolicy#USE} by default)
     */
    public PruneOptions withEma(EmaPolicy e) {
        return new PruneOptions(e, precision, drop, keep, threads, bakeVae, fixClip);
    }

    /**
     * {@return a copy with another {@code precision}}
     *
     * @param p the target precision of floating tensors ({@link Precision#FP16} by default)
     */
    public PruneOptions withPrecision(Precision p) {
        return new PruneOptions(ema, p, drop, keep, threads, bakeVae, fixClip);
    }

    /**
     * {@return a copy with another {@code drop}}
     *
     * @param p tensors whose (output) name this pattern finds are removed; null for none
     */
    public PruneOptions withDrop(Pattern p) {
        return new PruneOptions(ema, precision, p, keep, threads, bakeVae, fixClip);
    }

    /**
     * {@return a copy with another {@code keep}}
     *
     * @param p tensors whose name this pattern finds keep their dtype; null for none
     */
    public PruneOptions withKeep(Pattern p) {
        return new PruneOptions(ema, precision, drop, p, threads, bakeVae, fixClip);
    }

    /**
     * {@return a copy with another {@code threads}}
     *
     * @param n worker threads for reading, converting and writing (at least 1)
     */
    public PruneOptions withThreads(int n) {
        return new PruneOptions(ema, precision, drop, keep, n, bakeVae, fixClip);
    }

    /**
     * {@return a copy with another {@code bakeVae}}
     *
     * @param vae a VAE whose tensors replace the {@code first_stage_model.*} ones, as the web UI's
     *     merger bakes a VAE (then converted like the rest); null for none
     */
    public PruneOptions withBakeVae(VaeFile vae) {
        return new PruneOptions(ema, precision, drop, keep, threads, vae, fixClip);
    }

    /**
     * {@return a copy with another {@code fixClip}}
     *
     * @param b reset CLIP's {@code position_ids} to int64 {@code arange(77)}
     */
    public PruneOptions withFixClip(boolean b) {
        return new PruneOptions(ema, precision, drop, keep, threads, bakeVae, b);
    }
}
