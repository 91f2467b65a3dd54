package org.sdmodel.cli;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.sdmodel.DType;
import org.sdmodel.convert.ConversionStats;
import org.sdmodel.convert.ElementConverter;

/**
 * Gets the float32 conversion loops compiled while the main thread is still reading the input's
 * pickle. A JVM runs new code in its interpreter until the JIT has compiled it, and the
 * vectorised conversion needs the optimising compiler, which waits for thousands of calls: left
 * alone, the first couple of hundred megabytes of a prune are converted several times slower,
 * while the compiler threads compete with the workers for the cores. Here a daemon thread
 * converts a few megabytes of made-up weights on a core that would otherwise wait, and stops as
 * soon as the real work starts. The data looks like weights (mostly small normal values, some
 * zeros and tiny values), so that the compiled code expects the branches real weights take.
 */
final class ConversionWarmUp implements AutoCloseable {
    /** Enough for the compiler's thresholds on both loops, a few tens of milliseconds of work. */
    private static final int MAX_BYTES = 32 << 20;
    private static final int CHUNK = 16 << 10;

    private final Thread thread;
    private volatile boolean stop;

    private ConversionWarmUp(DType to) {
        thread = new Thread(() -> run(to), "sdmodel-warm-up");
        thread.setDaemon(true);
        thread.setPriority(Thread.MIN_PRIORITY);
    }

    /** Whether a warm-up has run in this JVM: the compiled code stays for later inputs. */
    private static final java.util.concurrent.atomic.AtomicBoolean STARTED = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Starts warming the float32 to {@code to} conversion; null if there is nothing to warm (no
     * conversion from float32, or a warm-up already ran in this JVM).
     */
    static ConversionWarmUp start(DType to) {
        if ((to != DType.F16 && to != DType.BF16) || !STARTED.compareAndSet(false, true)) {
            return null;
        }
        ConversionWarmUp w = new ConversionWarmUp(to);
        w.thread.start();
        return w;
    }

    private void run(DType to) {
        ElementConverter converter = ElementConverter.of(DType.F32, to);
        ByteBuffer in = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; in.hasRemaining(); i++) {
            float v;
            if (i % 101 == 0) {
                v = 0f;
            } else if (i % 97 == 0) {
                v = 1e-7f * (i % 3 - 1);
            } else {
                v = ((i * 0x9E3779B1) >> 8) * 0x1p-28f; // about ±0.03, as trained weights
            }
            in.putFloat(v);
        }
        ByteBuffer out = ByteBuffer.allocate(CHUNK / 2);
        ConversionStats stats = new ConversionStats();
        for (int done = 0; done < MAX_BYTES && !stop; done += CHUNK) {
            converter.convert(in.clear(), out.clear(), stats);
        }
    }

    /** Stops the warm-up (the real work is starting); does not wait for it. */
    @Override
    public void close() {
        stop = true;
    }
}
