package org.sdmodel.engine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.sdmodel.DType;
import org.sdmodel.safetensors.SafetensorsWriter;

/**
 * What an output file will hold, decided before a byte of tensor data is read: each output
 * tensor's name and the {@link Expr expression} its values come from, the {@code __metadata__},
 * the files it reads (never to be overwritten), and side files to copy beside it. Planners make
 * one ({@link org.sdmodel.prune.PrunePlan}, {@link org.sdmodel.merge.MergePlanner},
 * {@link org.sdmodel.component.ComponentPlanner}); {@link ModelWriter} writes it. Immutable.
 *
 * <p>A plan made by hand: every floating tensor of a file converted to bfloat16.
 *
 * <pre>{@code
 * try (ModelFile model = ModelFile.open(Path.of("model.safetensors"))) {
 *     List<TensorPlan.Entry> entries = new ArrayList<>();
 *     model.stateDict().tensors().forEach((name, t) -> {
 *         Expr source = Expr.source("model: " + name, t);
 *         entries.add(new TensorPlan.Entry(name,
 *                 Precision.isConvertible(t.dtype()) ? Expr.convert(source, DType.BF16) : source));
 *     });
 *     TensorPlan plan = TensorPlan.of(entries, Map.of("format", "pt")).withInputs(model.path());
 *     ModelWriter.write(plan, Path.of("model-bf16.safetensors"), WriteOptions.defaults());
 * }
 * }</pre>
 */
public final class TensorPlan {

    /**
     * One output tensor: its name and how its values are computed.
     *
     * @param name the tensor's name in the output
     * @param expr how its values are computed
     */
    public record Entry(String name, Expr expr) {
        /**
         * Creates the record, checking its components.
         *
         * @param name the tensor's name in the output
         * @param expr how its values are computed
         */
        public Entry {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(expr, "expr");
        }

        /** {@return the element type the tensor will have} */
        public DType dtype() {
            return expr.dtype();
        }

        /** {@return the shape the tensor will have; a copy} */
        public long[] shape() {
            return expr.shape();
        }
    }

    /**
     * A file copied beside the output: {@code source} becomes the output's name without its
     * extension (and without {@code .zst}) plus {@code suffix}, as the web UI pairs a checkpoint
     * with {@code <stem>.yaml}.
     *
     * @param source the file to copy
     * @param suffix what replaces the output's extension ({@code ".yaml"})
     */
    public record Sidecar(Path source, String suffix) {
        /**
         * Creates the record, checking its components.
         *
         * @param source the file to copy
         * @param suffix what replaces the output's extension ({@code ".yaml"})
         */
        public Sidecar {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(suffix, "suffix");
        }
    }

    /**
     * Metadata known only once the tensors are written: a merge's recipe names its inputs by their
     * SHA-256, which is computed while the engine writes (see {@link #withLateMetadata}).
     */
    @FunctionalInterface
    public interface LateMetadata {
        /**
         * {@return the final metadata}; may wait for it.
         *
         * @throws IOException if it cannot be had (the write fails with it)
         */
        Map<String, String> get() throws IOException;
    }

    private final List<Entry> entries;
    private final Map<String, String> metadata;
    private final Set<Path> inputs;
    private final List<Sidecar> sidecars;
    private final LateMetadata late;
    /** The layout, once asked for (immutable, so shared). */
    private volatile SafetensorsWriter layout;

    private TensorPlan(List<Entry> entries, Map<String, String> metadata, Set<Path> inputs, List<Sidecar> sidecars,
            LateMetadata late) {
        this.late = late;
        this.entries = Collections.unmodifiableList(new ArrayList<>(entries));
        this.metadata = metadata == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        this.inputs = Collections.unmodifiableSet(new LinkedHashSet<>(inputs));
        this.sidecars = Collections.unmodifiableList(new ArrayList<>(sidecars));
    }

    /**
     * {@return a plan of these entries (in any order: the file orders them as safetensors does) and metadata}
     *
     * @param entries the output tensors
     * @param metadata the {@code __metadata__}, or null for none
     */
    public static TensorPlan of(List<Entry> entries, Map<String, String> metadata) {
        return new TensorPlan(entries, metadata, Set.of(), List.of(), null);
    }

    /** {@return the output tensors, in the order the planner decided them} */
    public List<Entry> entries() {
        return entries;
    }

    /** {@return the {@code __metadata__} to write, in order; null for none} */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** {@return the files the plan reads: the output may not be one of them} */
    public Set<Path> inputs() {
        return inputs;
    }

    /** {@return files to copy beside the output} */
    public List<Sidecar> sidecars() {
        return sidecars;
    }

    /**
     * {@return this plan reading these files too}
     *
     * @param files files the output may not replace
     */
    public TensorPlan withInputs(Path... files) {
        Set<Path> all = new LinkedHashSet<>(inputs);
        for (Path p : files) {
            if (p != null) {
                all.add(p);
            }
        }
        return new TensorPlan(entries, metadata, all, sidecars, late);
    }

    /**
     * {@return this plan with other metadata (null for none), and no late metadata}
     *
     * @param m the metadata
     */
    public TensorPlan withMetadata(Map<String, String> m) {
        return new TensorPlan(entries, m, inputs, sidecars, null);
    }

    /**
     * This plan with its final metadata known only after its tensors are written. The file is
     * laid out with {@link #metadata()}, which stands in for the final metadata: it must make a
     * header at least as long (a value of the same length in its place, such as 64 characters for
     * a SHA-256 not yet computed). The engine writes the tensors, then asks {@code late} for the
     * final metadata and writes the header, padded with spaces to the length laid out (which the
     * safetensors format allows); should it be longer, the file is written again.
     *
     * @param late gives the final metadata
     * @return this plan with late metadata
     */
    public TensorPlan withLateMetadata(LateMetadata late) {
        return new TensorPlan(entries, metadata, inputs, sidecars, late);
    }

    /** {@return the late metadata, or null when {@link #metadata()} is final} */
    public LateMetadata lateMetadata() {
        return late;
    }

    /**
     * {@return this plan with a side file}
     *
     * @param s the side file
     */
    public TensorPlan withSidecar(Sidecar s) {
        List<Sidecar> all = new ArrayList<>(sidecars);
        all.add(s);
        return new TensorPlan(entries, metadata, inputs, all, late);
    }

    /**
     * {@return the entry named {@code name}, or null}
     *
     * @param name an output tensor's name
     */
    public Entry entry(String name) {
        for (Entry e : entries) {
            if (e.name().equals(name)) {
                return e;
            }
        }
        return null;
    }

    /** {@return bytes of tensor data the output holds} */
    public long outputTensorBytes() {
        long sum = 0;
        for (Entry e : entries) {
            sum += e.expr().byteSize();
        }
        return sum;
    }

    /**
     * The output's layout: header, offsets, size.
     *
     * @return the layout of the file this plan writes
     * @throws IllegalArgumentException if a name cannot be in a safetensors file (empty,
     *     {@code __metadata__}, repeated, broken Unicode) or the header would be too large
     */
    public SafetensorsWriter layout() {
        SafetensorsWriter l = layout;
        if (l == null) { // computed once: a command shows the sizes before the engine writes
            List<SafetensorsWriter.TensorSpec> specs = new ArrayList<>(entries.size());
            for (Entry e : entries) {
                specs.add(new SafetensorsWriter.TensorSpec(e.name(), e.dtype(), e.shape()));
            }
            l = new SafetensorsWriter(specs, metadata);
            layout = l;
        }
        return l;
    }
}
