package org.sdmodel.engine;

import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sdmodel.convert.ConversionStats;
import org.sdmodel.zstd.ZstdResult;

/**
 * What {@link ModelWriter} wrote: where, how many bytes, what the conversions lost per tensor, and
 * how long each phase took.
 */
public final class WriteResult {
    private final Path target;
    private final long fileBytes;
    private final long safetensorsBytes;
    private final long tensorBytes;
    private final Map<String, ConversionStats> stats;
    private final Map<WritePhase, Long> nanos;
    private final ZstdResult compressed;
    private final List<Path> sidecars;
    private final long bytesRead;
    private final long bytesWritten;

    WriteResult(Path target, long fileBytes, long safetensorsBytes, long tensorBytes, Map<String, ConversionStats> stats,
            Map<WritePhase, Long> nanos, ZstdResult compressed, List<Path> sidecars, long bytesRead, long bytesWritten) {
        this.bytesRead = bytesRead;
        this.bytesWritten = bytesWritten;
        this.target = target;
        this.fileBytes = fileBytes;
        this.safetensorsBytes = safetensorsBytes;
        this.tensorBytes = tensorBytes;
        this.stats = Collections.unmodifiableMap(new LinkedHashMap<>(stats));
        this.nanos = Collections.unmodifiableMap(new EnumMap<>(nanos));
        this.compressed = compressed;
        this.sidecars = List.copyOf(sidecars);
    }

    /** {@return the file written} */
    public Path target() {
        return target;
    }

    /** {@return size of the file written (compressed, with zstd)} */
    public long fileBytes() {
        return fileBytes;
    }

    /** {@return size of the safetensors file (the same as {@link #fileBytes()} unless compressed)} */
    public long safetensorsBytes() {
        return safetensorsBytes;
    }

    /** {@return bytes of tensor data in the output} */
    public long tensorBytes() {
        return tensorBytes;
    }

    /**
     * What each output tensor's conversions lost, by name: overflows to infinity, underflows to
     * zero, NaN and infinite inputs (all zero for a tensor written without conversion).
     *
     * @return the counts of each tensor, by name
     */
    public Map<String, ConversionStats> stats() {
        return stats;
    }

    /** {@return the sum of {@link #stats()}} */
    public ConversionStats total() {
        ConversionStats t = new ConversionStats();
        for (ConversionStats s : stats.values()) {
            t.add(s);
        }
        return t;
    }

    /** {@return time spent per phase, in nanoseconds (phases that did not run are absent)} */
    public Map<WritePhase, Long> nanos() {
        return nanos;
    }

    /** {@return total time spent, in nanoseconds} */
    public long totalNanos() {
        long sum = 0;
        for (long n : nanos.values()) {
            sum += n;
        }
        return sum;
    }

    /** {@return the compression's sizes and the SHA-256 of the safetensors file inside; null when not compressed} */
    public ZstdResult compressed() {
        return compressed;
    }

    /**
     * {@return bytes read from files: the sources' tensor data (once per use: a tensor two outputs
     * need counts twice), the header read back, and with {@code verify}, {@code zstd} or side files
     * what those read}
     */
    public long bytesRead() {
        return bytesRead;
    }

    /**
     * {@return bytes written to files: the output; with {@code zstd}, also the uncompressed file it
     * was compressed from; side files}
     */
    public long bytesWritten() {
        return bytesWritten;
    }

    /** {@return side files copied beside the output} */
    public List<Path> sidecars() {
        return sidecars;
    }
}
