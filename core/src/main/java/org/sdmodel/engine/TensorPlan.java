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
 * one ({@code PrunePlanner}, {@link org.sdmodel.merge.MergePlanner},
 * {@link org.sdmodel.component.ComponentPlanner}); {@link ModelWriter} writes it. Immutable.
 */
public final class TensorPlan {

    /** One output tensor: its name and how its values are computed. */
    public record Entry(String name, Expr expr) {
        public Entry {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(expr, "expr");
        }

        public DType dtype() {
            return expr.dtype();
        }

        public long[] shape() {
            return expr.shape();
        }
    }

    /**
     * A file copied beside the output: {@code source} becomes the output's name without its
     * extension (and without {@code .zst}) plus {@code suffix}, as the web UI pairs a checkpoint
     * with {@code <stem>.yaml}.
     */
    public record Sidecar(Path source, String suffix) {
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
        /** The final metadata; may wait for it. */
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

    /** A plan of these entries (in any order: the file orders them as safetensors does) and metadata. */
    public static TensorPlan of(List<Entry> entries, Map<String, String> metadata) {
        return new TensorPlan(entries, metadata, Set.of(), List.of(), null);
    }

    /** The output tensors, in the order the planner decided them. */
    public List<Entry> entries() {
        return entries;
    }

    /** The {@code __metadata__} to write, in order; null for none. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The files the plan reads: the output may not be one of them. */
    public Set<Path> inputs() {
        return inputs;
    }

    /** Files to copy beside the output. */
    public List<Sidecar> sidecars() {
        return sidecars;
    }

    /** This plan reading these files too. */
    public TensorPlan withInputs(Path... files) {
        Set<Path> all = new LinkedHashSet<>(inputs);
        for (Path p : files) {
            if (p != null) {
                all.add(p);
            }
        }
        return new TensorPlan(entries, metadata, all, sidecars, late);
    }

    /** This plan with other metadata (null for none), and no late metadata. */
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
     */
    public TensorPlan withLateMetadata(LateMetadata late) {
        return new TensorPlan(entries, metadata, inputs, sidecars, late);
    }

    /** The late metadata, or null when {@link #metadata()} is final. */
    public LateMetadata lateMetadata() {
        return late;
    }

    /** This plan with a side file. */
    public TensorPlan withSidecar(Sidecar s) {
        List<Sidecar> all = new ArrayList<>(sidecars);
        all.add(s);
        return new TensorPlan(entries, metadata, inputs, all, late);
    }

    /** The entry named {@code name}, or null. */
    public Entry entry(String name) {
        for (Entry e : entries) {
            if (e.name().equals(name)) {
                return e;
            }
        }
        return null;
    }

    /** Bytes of tensor data the output holds. */
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
