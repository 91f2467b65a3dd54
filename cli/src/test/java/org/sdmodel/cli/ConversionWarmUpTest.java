package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.sdmodel.DType;

class ConversionWarmUpTest {

    @Test
    void nothingToWarmWithoutANarrowingConversion() {
        assertNull(ConversionWarmUp.start(DType.F32));
        assertNull(ConversionWarmUp.start(DType.I64));
    }

    @Test
    void warmsOncePerJvmAndStopsWhenClosed() throws InterruptedException {
        ConversionWarmUp first = ConversionWarmUp.start(DType.F16);
        // another test in this JVM may have run a prune already, which used the one warm-up
        try (ConversionWarmUp w = first) {
            assertNull(ConversionWarmUp.start(DType.F16));
            assertNull(ConversionWarmUp.start(DType.BF16));
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (warmUpThreadAlive() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertFalse(warmUpThreadAlive(), "the warm-up thread still runs after close()");
    }

    private static boolean warmUpThreadAlive() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("sdmodel-warm-up") && t.isAlive());
    }
}
