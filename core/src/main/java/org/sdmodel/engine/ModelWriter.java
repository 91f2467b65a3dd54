package org.sdmodel.engine;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.sdmodel.ModelFile;
import org.sdmodel.ModelFormatException;
import org.sdmodel.Tensor;
import org.sdmodel.convert.ConversionStats;
import org.sdmodel.io.AtomicOutput;
import org.sdmodel.io.TemporaryFile;
import org.sdmodel.safetensors.SafetensorsWriter;
import org.sdmodel.zstd.ZstdFiles;
import org.sdmodel.zstd.ZstdResult;

/**
 * The engine: writes a {@link TensorPlan} as a safetensors file, every command's last step
 * (prune, convert, merge, extract) and an embedder's:
 *
 * <pre>{@code
 * WriteResult r = ModelWriter.write(plan, Path.of("out.safetensors"), WriteOptions.defaults());
 * }</pre>
 *
 * <ol>
 *   <li>The layout (header, every tensor's offset, the size) is computed from the plan first;
 *       the output may not be one of the plan's inputs, nor an existing file without
 *       {@link WriteOptions#overwrite()}, nor may its side files exist.
 *   <li>The file is written to a temporary file beside the target ({@link AtomicOutput}): the
 *       header, then each tensor cut into chunks of {@value #CHUNK_ELEMENTS} elements that
 *       worker threads evaluate ({@link Evaluator}: positional reads of the sources, then each
 *       expression node) and write at their offsets with positional writes. Memory is a few
 *       chunk buffers per worker, whatever the sizes of the files.
 *   <li>Self-check: the header is read back and compared byte for byte with the one meant, and
 *       the size; with {@link WriteOptions#verify()}, the whole file is read back through the
 *       safetensors reader and every tensor compared with its expression, recomputed.
 *   <li>With {@link WriteOptions#zstd()}, that file is compressed into the target's temporary
 *       file and decompressed again to compare SHA-256s.
 *   <li>The temporary file is flushed and renamed into place, then side files are copied the
 *       same way. A failure anywhere leaves nothing under the target's name.
 * </ol>
 */
public final class ModelWriter {
    /**
     * Elements per chunk: 1 MiB of float32. Small enough that a chunk's sources, intermediate
     * values and output stay in cache between being read and written, large enough for
     * sequential-speed I/O; a multiple of 8 so sub-byte types cut at whole bytes.
     */
    static final int CHUNK_ELEMENTS = 1 << 18;

    private ModelWriter() {
    }

    /**
     * Writes {@code plan} to {@code target}.
     *
     * @param plan what to write
     * @param target the output file
     * @param options overwrite, threads, verify, zstd, progress
     * @return what was written, with the conversion counts and the time of each phase
     * @throws ModelFormatException if the plan cannot be a safetensors file (a name it cannot
     *     hold, a header too large)
     * @throws FileAlreadyExistsException if the target (or a side file) exists and may not be
     *     replaced, or the target is one of the plan's inputs
     * @throws SourceReadException if a source tensor cannot be read
     * @throws OutputCheckException if the output read back differs from what was written
     */
    public static WriteResult write(TensorPlan plan, Path target, WriteOptions options) throws IOException {
        SafetensorsWriter layout = layout(plan); // with the late metadata, that of the header laid out
        Path out = target.toAbsolutePath();
        refuseInputAsOutput(plan, out);
        List<Path> sidecars = sidecarTargets(plan, out, options.overwrite());
        Map<WritePhase, Long> nanos = new EnumMap<>(WritePhase.class);
        Io io = new Io();
        Map<String, ConversionStats> stats;
        ZstdResult compressed = null;
        long fileBytes;
        try (AtomicOutput atomic = AtomicOutput.create(out, options.overwrite())) {
            if (options.zstd() == null) {
                if (options.sync()) {
                    atomic.flushInBackground(); // the disk flushes while the CPU computes
                }
                Written w = writeAndCheck(plan, layout, atomic.channel(), atomic.tempFile(), options, nanos, io);
                stats = w.stats();
                layout = w.layout();
                fileBytes = layout.fileSize();
            } else {
                String plainName = out.getFileName().toString().replaceFirst("\\.zst$", "");
                TemporaryFile.requireSpace(out.getParent(), layout.fileSize(),
                        "the uncompressed " + plainName + " before compression");
                try (TemporaryFile plain = TemporaryFile.create(out.getParent(), plainName);
                        FileChannel channel = FileChannel.open(plain.path(), StandardOpenOption.READ,
                                StandardOpenOption.WRITE)) {
                    Written w = writeAndCheck(plan, layout, channel, plain.path(), options, nanos, io);
                    stats = w.stats();
                    layout = w.layout();
                    compressed = compress(plain.path(), atomic, options, nanos);
                }
                fileBytes = compressed.compressedBytes();
                // compressing reads the plain file; the check reads the output again to decompress it
                io.read.add(compressed.uncompressedBytes() + compressed.compressedBytes());
                io.written.add(compressed.compressedBytes());
            }
            long start = phase(options, WritePhase.COMMIT, 0);
            atomic.commit(options.sync());
            for (int i = 0; i < sidecars.size(); i++) {
                long copied = copy(plan.sidecars().get(i).source(), sidecars.get(i), options.overwrite(), options.sync());
                io.read.add(copied);
                io.written.add(copied);
            }
            end(options, WritePhase.COMMIT, start, nanos);
        }
        return new WriteResult(out, fileBytes, layout.fileSize(), plan.outputTensorBytes(), stats, nanos, compressed,
                sidecars, io.read.sum(), io.written.sum());
    }

    /** Bytes read and written so far, added to from worker threads. */
    static final class Io {
        final LongAdder read = new LongAdder();
        final LongAdder written = new LongAdder();
    }

    /** The plan's layout, or the reason it cannot be a safetensors file. */
    static SafetensorsWriter layout(TensorPlan plan) throws ModelFormatException {
        try {
            return plan.layout();
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException("cannot be written as safetensors: " + e.getMessage());
        }
    }

    /** What {@link #writeAndCheck} wrote: the conversions' losses, and the layout (with its final header). */
    private record Written(Map<String, ConversionStats> stats, SafetensorsWriter layout) {
    }

    /**
     * Writes the file into {@code channel} (which writes {@code file}), with the late metadata's
     * header if the plan has one, then checks or verifies it.
     */
    private static Written writeAndCheck(TensorPlan plan, SafetensorsWriter layout,
            FileChannel channel, Path file, WriteOptions options, Map<WritePhase, Long> nanos, Io io) throws IOException {
        long start = phase(options, WritePhase.WRITE, layout.fileSize());
        Map<String, ConversionStats> stats = writeTensors(plan, layout, channel, options, io);
        end(options, WritePhase.WRITE, start, nanos);
        if (plan.lateMetadata() != null) {
            start = phase(options, WritePhase.HEADER, 0);
            Map<String, String> metadata = plan.lateMetadata().get();
            SafetensorsWriter last = finalLayout(layout, metadata);
            if (last.header().length == layout.header().length) {
                last.writeHeader(channel);
                io.written.add(last.header().length);
                end(options, WritePhase.HEADER, start, nanos);
            } else { // a header longer than the one laid out: not expected, but never a wrong file
                end(options, WritePhase.HEADER, start, nanos);
                plan = plan.withMetadata(metadata);
                last = layout(plan);
                channel.truncate(0);
                start = phase(options, WritePhase.WRITE, last.fileSize());
                stats = writeTensors(plan, last, channel, options, io);
                end(options, WritePhase.WRITE, start, nanos);
            }
            layout = last;
        }

        start = phase(options, WritePhase.CHECK, 0);
        checkWritten(layout, channel);
        io.read.add(layout.header().length);
        end(options, WritePhase.CHECK, start, nanos);
        if (options.verify()) {
            start = phase(options, WritePhase.VERIFY, layout.fileSize());
            try (ModelFile written = ModelFile.open(file)) {
                io.read.add(verify(plan, written, options.progress()));
            }
            end(options, WritePhase.VERIFY, start, nanos);
        }
        return new Written(stats, layout);
    }

    /** The layout with the final metadata, its header padded to the length laid out when it is shorter. */
    private static SafetensorsWriter finalLayout(SafetensorsWriter laidOut, Map<String, String> metadata)
            throws ModelFormatException {
        try {
            return laidOut.withMetadata(metadata);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException("cannot be written as safetensors: " + e.getMessage());
        }
    }

    /**
     * Writes the header, then every tensor's chunks from {@code options.threads()} workers, and
     * truncates the channel to the file's size.
     *
     * @return what the conversions lost, per output tensor
     */
    static Map<String, ConversionStats> writeTensors(TensorPlan plan, SafetensorsWriter layout, FileChannel out,
            WriteOptions options, Io io) throws IOException {
        layout.writeHeader(out);
        io.written.add(layout.header().length);
        Map<String, ConversionStats> stats = new LinkedHashMap<>();
        List<Chunk> chunks = new ArrayList<>();
        for (TensorPlan.Entry e : plan.entries()) {
            stats.put(e.name(), new ConversionStats());
            long n = e.expr().numel();
            for (long first = 0; first < n; first += CHUNK_ELEMENTS) {
                chunks.add(new Chunk(e, first, (int) Math.min(CHUNK_ELEMENTS, n - first)));
            }
        }
        WriteProgress progress = options.progress();
        progress.advance(layout.header().length);
        runInParallel(chunks, options.threads(), () -> {
            Evaluator evaluator = new Evaluator();
            ByteBuffer[] buffer = new ByteBuffer[1];
            return chunk -> {
                TensorPlan.Entry e = chunk.entry();
                int bytes = (int) e.dtype().byteSize(chunk.count());
                if (buffer[0] == null || buffer[0].capacity() < bytes) {
                    buffer[0] = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
                }
                ByteBuffer b = buffer[0].clear().limit(bytes);
                ConversionStats chunkStats = new ConversionStats();
                evaluator.evaluate(e.expr(), chunk.first(), chunk.count(), b, chunkStats);
                b.flip();
                layout.writeTensor(e.name(), e.dtype().byteSize(chunk.first()), b, out);
                io.read.add(evaluator.takeBytesRead());
                io.written.add(bytes);
                ConversionStats total = stats.get(e.name());
                synchronized (total) {
                    total.add(chunkStats);
                }
                progress.advance(bytes);
            };
        });
        out.truncate(layout.fileSize());
        return stats;
    }

    /** {@code count} elements of an entry from {@code first}. */
    private record Chunk(TensorPlan.Entry entry, long first, int count) {
    }

    /** What a worker does with one chunk. */
    @FunctionalInterface
    private interface ChunkTask {
        void run(Chunk chunk) throws IOException;
    }

    /** Makes one worker's task (with the worker's own evaluator and buffers). */
    @FunctionalInterface
    private interface Worker {
        ChunkTask create();
    }

    /**
     * Runs the chunks on up to {@code threads} workers, each taking the next chunk until none is
     * left or one failed; rethrows the first failure.
     */
    private static void runInParallel(List<Chunk> chunks, int threads, Worker worker) throws IOException {
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable loop = () -> {
            try {
                ChunkTask task = worker.create();
                int i;
                while (failure.get() == null && (i = next.getAndIncrement()) < chunks.size()) {
                    task.run(chunks.get(i));
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        };
        int workers = Math.max(1, Math.min(threads, chunks.size()));
        if (workers == 1) {
            loop.run();
        } else {
            ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
                Thread t = new Thread(r, "sdmodel-write");
                t.setDaemon(true);
                return t;
            });
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int i = 0; i < workers; i++) {
                    futures.add(pool.submit(loop));
                }
                for (Future<?> f : futures) {
                    f.get();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while writing");
            } catch (ExecutionException e) {
                failure.compareAndSet(null, e.getCause());
            } finally {
                pool.shutdown(); // never interrupt: an interrupted positional read closes the shared channel
            }
        }
        Throwable t = failure.get();
        if (t instanceof IOException) {
            throw (IOException) t;
        }
        if (t instanceof RuntimeException) {
            throw (RuntimeException) t;
        }
        if (t instanceof Error) {
            throw (Error) t;
        }
    }

    /**
     * The cheap self-check after writing: reads back the file's header and compares it byte for
     * byte with the one the layout meant (so every name, dtype, shape and offset is as planned),
     * and checks the file's size. Reads no tensor data.
     *
     * @param layout the layout the file was written with
     * @param file the written file, open for reading
     * @throws OutputCheckException if the header or the size differs
     */
    public static void checkWritten(SafetensorsWriter layout, FileChannel file) throws IOException {
        long size = file.size();
        if (size != layout.fileSize()) {
            throw new OutputCheckException("self-check: the output is " + size + " bytes, " + layout.fileSize()
                    + " were written");
        }
        byte[] expected = layout.header();
        ByteBuffer actual = ByteBuffer.allocate(expected.length);
        while (actual.hasRemaining()) {
            if (file.read(actual, actual.position()) < 0) {
                throw new OutputCheckException("self-check: the output ends inside its header");
            }
        }
        if (!Arrays.equals(expected, actual.array())) {
            throw new OutputCheckException("self-check: the output's header differs from the one written");
        }
    }

    /**
     * Checks a written file against the plan: the same tensors with the same dtypes and shapes,
     * and each tensor's bytes equal to its expression recomputed from the sources.
     *
     * @param plan the plan the file was written from
     * @param written the written file, open
     * @param progress told of the bytes compared
     * @return the bytes read: the written file's tensors and the sources they were recomputed from
     * @throws OutputCheckException naming the first tensor that differs
     */
    public static long verify(TensorPlan plan, ModelFile written, WriteProgress progress) throws IOException {
        Map<String, Tensor> out = written.stateDict().tensors();
        if (out.size() != plan.entries().size()) {
            throw new OutputCheckException("verify: the output holds " + out.size() + " tensors, "
                    + plan.entries().size() + " were written");
        }
        Evaluator evaluator = new Evaluator();
        ByteBuffer expected = null;
        ByteBuffer actual = null;
        long read = 0;
        for (TensorPlan.Entry e : plan.entries()) {
            Tensor t = out.get(e.name());
            if (t == null || t.dtype() != e.dtype() || !Arrays.equals(t.shape(), e.shape())) {
                throw new OutputCheckException("verify: tensor " + e.name() + " is missing or has the wrong dtype or shape");
            }
            long n = e.expr().numel();
            for (long first = 0; first < n; first += CHUNK_ELEMENTS) {
                int count = (int) Math.min(CHUNK_ELEMENTS, n - first);
                int bytes = (int) e.dtype().byteSize(count);
                if (expected == null || expected.capacity() < bytes) {
                    expected = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
                    actual = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
                }
                expected.clear().limit(bytes);
                evaluator.evaluate(e.expr(), first, count, expected, new ConversionStats());
                expected.flip();
                actual.clear().limit(bytes);
                t.readFully(e.dtype().byteSize(first), actual);
                read += bytes;
                actual.flip();
                if (!actual.equals(expected)) {
                    throw new OutputCheckException("verify: tensor " + e.name() + " differs from what was computed");
                }
                progress.advance(bytes);
            }
        }
        return read + evaluator.takeBytesRead();
    }

    /**
     * Computes a small expression whole, in memory (CLIP's 77 {@code position_ids}, to say what a
     * fix changes).
     *
     * @param e the expression
     * @param maxBytes the most its values may take
     * @return the little-endian bytes of {@code e.dtype()}
     * @throws org.sdmodel.MemoryLimitException if the values take more than {@code maxBytes}
     */
    public static ByteBuffer evaluate(Expr e, int maxBytes) throws IOException {
        long bytes = e.byteSize();
        if (bytes > maxBytes) {
            throw new org.sdmodel.MemoryLimitException("tensor size", bytes, maxBytes);
        }
        ByteBuffer out = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        new Evaluator().evaluate(e, 0, (int) e.numel(), out, new ConversionStats());
        return out.flip();
    }

    /** Compresses the checked plain file into the atomic output and checks the result decompresses to it. */
    private static ZstdResult compress(Path plain, AtomicOutput atomic, WriteOptions options, Map<WritePhase, Long> nanos)
            throws IOException {
        long start = phase(options, WritePhase.COMPRESS, Files.size(plain));
        ZstdResult compressed = ZstdFiles.compress(plain, atomic.channel(), options.zstd(), options.progress()::advance);
        if (options.sync()) {
            atomic.channel().force(false);
        }
        ZstdResult back;
        try {
            back = ZstdFiles.decompress(atomic.tempFile(), null, ZstdFiles.NO_PROGRESS);
        } catch (IOException e) {
            throw new OutputCheckException("self-check: the compressed output does not decompress: " + e.getMessage());
        }
        if (!back.sameContent(compressed)) {
            throw new OutputCheckException("self-check: the compressed output does not decompress to the file compressed");
        }
        end(options, WritePhase.COMPRESS, start, nanos);
        return compressed;
    }

    /** Refuses a target that is one of the files the plan reads, whatever {@code overwrite} says. */
    private static void refuseInputAsOutput(TensorPlan plan, Path target) throws IOException {
        for (Path input : plan.inputs()) {
            if (sameFile(input, target)) {
                throw new FileAlreadyExistsException(target.toString(), null,
                        "is an input of this command; choose another output");
            }
        }
    }

    /** Where each side file goes; refuses existing ones without {@code overwrite}, before anything is written. */
    private static List<Path> sidecarTargets(TensorPlan plan, Path target, boolean overwrite) throws IOException {
        List<Path> targets = new ArrayList<>();
        for (TensorPlan.Sidecar s : plan.sidecars()) {
            Path t = target.resolveSibling(stem(target) + s.suffix());
            if (!overwrite && Files.exists(t)) {
                throw new FileAlreadyExistsException(t.toString(), null, "already exists (use --force to replace it)");
            }
            refuseInputAsOutput(plan, t);
            targets.add(t);
        }
        return targets;
    }

    /** The file name without {@code .zst} and then without its extension. */
    static String stem(Path file) {
        String name = file.getFileName().toString();
        if (name.endsWith(".zst")) {
            name = name.substring(0, name.length() - 4);
        }
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    /** Copies a side file atomically; returns its size. */
    private static long copy(Path source, Path target, boolean overwrite, boolean sync) throws IOException {
        try (AtomicOutput out = AtomicOutput.create(target, overwrite);
                FileChannel in = FileChannel.open(source, StandardOpenOption.READ)) {
            long size = in.size();
            for (long pos = 0; pos < size; ) {
                pos += in.transferTo(pos, size - pos, out.channel());
            }
            out.commit(sync);
            return size;
        }
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            if (Files.exists(a) && Files.exists(b)) {
                return Files.isSameFile(a, b);
            }
        } catch (IOException e) {
            // fall through to comparing the paths
        }
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }

    private static long phase(WriteOptions options, WritePhase phase, long total) {
        options.progress().begin(phase, total);
        return System.nanoTime();
    }

    private static void end(WriteOptions options, WritePhase phase, long start, Map<WritePhase, Long> nanos) {
        nanos.merge(phase, System.nanoTime() - start, Long::sum);
        options.progress().end(phase);
    }
}
