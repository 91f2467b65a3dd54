package org.sdmodel.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeSet;
import org.sdmodel.Tensor;

/** Compares two state dicts: the same names, and per name the same dtype, shape and bytes. */
public final class SameTensors {
    private SameTensors() {
    }

    public static void assertSameTensors(Map<String, Tensor> expected, Map<String, Tensor> actual) throws Exception {
        assertEquals(new TreeSet<>(expected.keySet()), new TreeSet<>(actual.keySet()));
        for (Map.Entry<String, Tensor> e : expected.entrySet()) {
            Tensor x = e.getValue();
            Tensor y = actual.get(e.getKey());
            assertEquals(x.dtype(), y.dtype(), e.getKey());
            assertTrue(Arrays.equals(x.shape(), y.shape()), e.getKey() + " " + Arrays.toString(y.shape()));
            assertEquals(x.readAll(1 << 24), y.readAll(1 << 24), e.getKey() + ": bytes differ");
        }
    }
}
