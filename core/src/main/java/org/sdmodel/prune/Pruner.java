package org.sdmodel.prune;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.sdmodel.DType;
import org.sdmodel.ModelFile;
import org.sdmodel.ModelFormatException;
import org.sdmodel.convert.ConversionStats;
import org.sdmodel.convert.ElementConverter;
import org.sdmodel.convert.Precision;
import org.sdmodel.safetensors.SafetensorsWriter;

/**
 * Carries out a {@link PrunePlan}: streams each tensor from the source, converts it, and writes it
 * at its place in a safetensors file. The header is computed first, so every tensor's place is
 * known; the work is then cut into chunks of at most {@value #CHUNK_BYTES} source bytes that
 * worker threads read, convert and write with positional I/O, independently. Memory is a few
 * chunk buffers per thread, whatever the file's size.
 */
public final class Pruner {
    /**
     * Source bytes per chunk: large enough for sequential-speed I/O, small enough that the chunk
     * is still in the core's cache when it is converted right after being read (8 MiB chunks
     * measured slower: the conversion then streams from memory).
     */
    static final int CHUNK_BYTES = 1 << 20;

    /** Receives the number of source bytes processed; called from worker threads. */
    @FunctionalInterface
    public interface Progress {
        void advance(long sourceBytes);

        /** No progress reporting. */
        Progress NONE = n -> { };
    }

    private Pruner() {
    }

    /**
     * The metadata {@code sdmodel prune} and {@code convert} write: {@code format: pt} (what the
     * web UI and safetensors' torch helpers expect), the source's own safetensors metadata (kohya's
     * {@code ss_*}, merge recipes) except earlier {@code sdmodel.*} keys, {@code sdmodel.source}
     * (the input's file name), with {@code recordPruneSettings} {@code sdmodel.ema}, with it or a
     * precision other than {@code keep} {@code sdmodel.precision} (its {@link Precision#label()}), and {@code sdmodel.global_step} / {@code sdmodel.epoch} when the
     * checkpoint has them. The output's size depends on it (through the header), which is why
     * {@code inspect}'s estimate uses it too.
     */
    public static Map<String, String> metadata(ModelFile model, PrunePlan plan, boolean recordPruneSettings)
            throws ModelFormatException {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        for (Map.Entry<String, String> e : model.metadata().entrySet()) {
            if (!e.getKey().equals("format") && !e.getKey().startsWith("sdmodel.")) {
                m.put(e.getKey(), e.getValue());
            }
        }
        m.put("sdmodel.source", model.path().getFileName().toString());
        if (recordPruneSettings) {
            m.put("sdmodel.ema", plan.options().ema().label());
        }
        // convert records a precision only when one was asked for (its default keeps every dtype)
        if (recordPruneSettings || plan.options().precision() != Precision.KEEP) {
            m.put("sdmodel.precision", plan.options().precision().label());
        }
        for (Map.Entry<Object, Object> e : model.stateDict().otherTopLevelEntries().entrySet()) {
            if (("global_step".equals(e.getKey()) || "epoch".equals(e.getKey())) && e.getValue() instanceof Long) {
                m.put("sdmodel." + e.getKey(), e.getValue().toString());
            }
        }
        return m;
    }

    /** The safetensors writer for a plan: the output's header and layout. */
    public static SafetensorsWriter writerFor(PrunePlan plan, Map<String, String> metadata) {
        List<SafetensorsWriter.TensorSpec> specs = new ArrayList<>();
        for (PrunePlan.Item item : plan.items()) {
            specs.add(new SafetensorsWriter.TensorSpec(item.name(), item.dtype(), item.source().shape()));
        }
        return new SafetensorsWriter(specs, metadata);
    }

    /**
     * Writes the plan's output to {@code out} (from position 0; the caller owns the channel and
     * makes the file appear atomically).
     *
     * @return per-tensor conversion statistics and totals
     */
    public static PruneResult write(PrunePlan plan, SafetensorsWriter writer, FileChannel out, Progress progress)
            throws IOException {
        long start = System.nanoTime();
        writer.writeHeader(out);
        List<Chunk> chunks = new ArrayList<>();
        Map<String, ConversionStats> stats = new LinkedHashMap<>();
        for (PrunePlan.Item item : plan.items()) {
            stats.put(item.name(), new ConversionStats());
            long size = item.source().byteSize();
            int srcElement = Math.max(1, item.source().dtype().elementSize());
            long step = (CHUNK_BYTES / srcElement) * (long) srcElement;
            for (long pos = 0; pos < size; pos += step) {
                chunks.add(new Chunk(item, pos, Math.min(step, size - pos)));
            }
        }
        runChunks(chunks, plan.options().threads(), writer, out, stats, progress);
        out.truncate(writer.fileSize());
        return new PruneResult(stats, plan.inputTensorBytes(), writer.fileSize(), System.nanoTime() - start);
    }

    /** A piece of one tensor: {@code length} source bytes from {@code position}. */
    private record Chunk(PrunePlan.Item item, long position, long length) {
    }

    private static void runChunks(List<Chunk> chunks, int threads, SafetensorsWriter writer, FileChannel out,
            Map<String, ConversionStats> stats, Progress progress) throws IOException {
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int workers = Math.max(1, Math.min(threads, chunks.size()));
        if (workers == 1) {
            new Worker(chunks, next, failure, writer, out, stats, progress).run();
        } else {
            ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
                Thread t = new Thread(r, "sdmodel-prune");
                t.setDaemon(true);
                return t;
            });
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int i = 0; i < workers; i++) {
                    futures.add(pool.submit(new Worker(chunks, next, failure, writer, out, stats, progress)));
                }
                for (Future<?> f : futures) {
                    f.get();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while writing");
            } catch (java.util.concurrent.ExecutionException e) {
                failure.compareAndSet(null, e.getCause());
            } finally {
                pool.shutdown(); // never interrupt: an interrupted read closes the shared FileChannel
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

    /** Takes chunks until none are left or another worker failed. */
    private static final class Worker implements Runnable {
        private final List<Chunk> chunks;
        private final AtomicInteger next;
        private final AtomicReference<Throwable> failure;
        private final SafetensorsWriter writer;
        private final FileChannel out;
        private final Map<String, ConversionStats> stats;
        private final Progress progress;
        private ByteBuffer src;
        private ByteBuffer dst;
        /** Converters hold scratch arrays: one per worker and pair of dtypes. */
        private final Map<String, ElementConverter> converters = new java.util.HashMap<>();

        Worker(List<Chunk> chunks, AtomicInteger next, AtomicReference<Throwable> failure, SafetensorsWriter writer,
                FileChannel out, Map<String, ConversionStats> stats, Progress progress) {
            this.chunks = chunks;
            this.next = next;
            this.failure = failure;
            this.writer = writer;
            this.out = out;
            this.stats = stats;
            this.progress = progress;
        }

        @Override
        public void run() {
            try {
                int i;
                while (failure.get() == null && (i = next.getAndIncrement()) < chunks.size()) {
                    process(chunks.get(i));
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }

        private void process(Chunk c) throws IOException {
            PrunePlan.Item item = c.item();
            DType from = item.source().dtype();
            DType to = item.dtype();
            ByteBuffer in = buffer(true, (int) c.length());
            item.source().readFully(c.position(), in);
            in.flip();
            long outPosition = c.position() / Math.max(1, from.elementSize()) * to.elementSize();
            if (from == to) {
                writer.writeTensor(item.name(), outPosition, in, out);
            } else {
                long elements = c.length() / from.elementSize();
                ByteBuffer converted = buffer(false, (int) (elements * to.elementSize()));
                ConversionStats chunkStats = new ConversionStats();
                converters.computeIfAbsent(from + ">" + to, k -> ElementConverter.of(from, to))
                        .convert(in, converted, chunkStats);
                converted.flip();
                writer.writeTensor(item.name(), outPosition, converted, out);
                ConversionStats total = stats.get(item.name());
                synchronized (total) {
                    total.add(chunkStats);
                }
            }
            progress.advance(c.length());
        }

        private ByteBuffer buffer(boolean source, int size) {
            ByteBuffer b = source ? src : dst;
            if (b == null || b.capacity() < size) {
                b = ByteBuffer.allocateDirect(Math.max(size, CHUNK_BYTES))
                        .order(ByteOrder.LITTLE_ENDIAN);
                if (source) {
                    src = b;
                } else {
                    dst = b;
                }
            }
            b.clear();
            b.limit(size);
            return b;
        }
    }

    /**
     * The cheap self-check after writing: reads back the file's header and compares it byte for
     * byte with the one the writer meant to write (so every name, dtype, shape and offset is as
     * planned), and checks the file's size. Reads no tensor data, and needs no JSON parser: the
     * writer's header is valid safetensors by construction (pinned by its tests against the
     * reference library), so only what reached the file is in question.
     *
     * @throws PruneException if the header or the size differs
     */
    public static void checkWritten(SafetensorsWriter writer, FileChannel file) throws IOException {
        long size = file.size();
        if (size != writer.fileSize()) {
            throw new PruneException("self-check: the output is " + size + " bytes, " + writer.fileSize() + " were written");
        }
        byte[] expected = writer.header();
        ByteBuffer actual = ByteBuffer.allocate(expected.length);
        while (actual.hasRemaining()) {
            if (file.read(actual, actual.position()) < 0) {
                throw new PruneException("self-check: the output ends inside its header");
            }
        }
        if (!java.util.Arrays.equals(expected, actual.array())) {
            throw new PruneException("self-check: the output's header differs from the one written");
        }
    }

    /**
     * Checks a written file against the plan. The header check (names, dtypes, shapes) is cheap
     * and always worth doing; with {@code data} every tensor is re-read from the source,
     * converted again and compared byte for byte with the output.
     *
     * @throws PruneException naming the first tensor that differs
     */
    public static void verify(PrunePlan plan, org.sdmodel.ModelFile written, boolean data) throws IOException {
        Map<String, org.sdmodel.Tensor> out = written.stateDict().tensors();
        if (out.size() != plan.items().size()) {
            throw new PruneException("self-check: the output holds " + out.size() + " tensors, "
                    + plan.items().size() + " were written");
        }
        ByteBuffer a = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer b = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer c = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (PrunePlan.Item item : plan.items()) {
            org.sdmodel.Tensor t = out.get(item.name());
            if (t == null || t.dtype() != item.dtype() || !java.util.Arrays.equals(t.shape(), item.source().shape())) {
                throw new PruneException("self-check: tensor " + item.name() + " is missing or has the wrong dtype or shape");
            }
            if (!data) {
                continue;
            }
            int srcElement = item.source().dtype().elementSize();
            long step = (CHUNK_BYTES / 2 / srcElement) * (long) srcElement;
            for (long pos = 0; pos < item.source().byteSize(); pos += step) {
                int len = (int) Math.min(step, item.source().byteSize() - pos);
                a.clear().limit(len);
                item.source().readFully(pos, a);
                a.flip();
                ByteBuffer expected = a;
                if (item.converts()) {
                    c.clear();
                    ElementConverter.convert(item.source().dtype(), item.dtype(), a, c, new ConversionStats());
                    c.flip();
                    expected = c;
                }
                b.clear().limit(expected.remaining());
                t.readFully(pos / srcElement * item.dtype().elementSize(), b);
                b.flip();
                if (!b.equals(expected)) {
                    throw new PruneException("verify: tensor " + item.name() + " differs from its source");
                }
            }
        }
    }

    /** Sums statistics. */
    static ConversionStats total(Collection<ConversionStats> all) {
        ConversionStats t = new ConversionStats();
        for (ConversionStats s : all) {
            t.add(s);
        }
        return t;
    }
}
