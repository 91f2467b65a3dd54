package org.sdmodel.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.sdmodel.DType;
import org.sdmodel.testing.TestFiles;

/**
 * torch 2.11's conversion of every input bit pattern, from {@code ../shared/oracles/
 * float-conversions-torch2.11/} (beside the project; see its README): per source and target
 * type, the steps of a step function over the input bits read as an unsigned integer. Tests that
 * need it are skipped when the folder is absent, except in CI, where its absence fails.
 */
final class TorchOracle {
    private static final Map<String, Table> TABLES = new ConcurrentHashMap<>();

    private TorchOracle() {
    }

    static Path dir() {
        Path dir = TestFiles.projectRoot().resolveSibling("shared").resolve("oracles")
                .resolve("float-conversions-torch2.11");
        if (!Files.isDirectory(dir)) {
            if (System.getenv("CI") != null) {
                throw new IllegalStateException("CI run without " + dir);
            }
            assumeTrue(false, "no " + dir);
        }
        return dir;
    }

    /** The oracle's name for a type. */
    static String name(DType type) {
        switch (type) {
            case F32: return "f32";
            case F16: return "f16";
            case BF16: return "bf16";
            case F8_E4M3: return "f8_e4m3fn";
            case F8_E5M2: return "f8_e5m2";
            default: throw new IllegalArgumentException("no oracle table for " + type);
        }
    }

    /** The table of {@code source.to(target)}. */
    static Table table(DType source, DType target) {
        return TABLES.computeIfAbsent(name(source) + "-to-" + name(target), k -> read(dir().resolve(k + ".json"),
                source, target));
    }

    private static Table read(Path file, DType source, DType target) {
        long[] inputs = new long[1024];
        int[] outputs = new int[1024];
        int n = 0;
        String torch = null;
        Boolean truncated = null;
        try (JsonParser p = new ObjectMapper().getFactory().createParser(file.toFile())) {
            assertEquals(JsonToken.START_OBJECT, p.nextToken());
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.getCurrentName();
                p.nextToken();
                switch (field) {
                    case "torch":
                        torch = p.getText();
                        break;
                    case "truncated":
                        truncated = p.getBooleanValue();
                        break;
                    case "source":
                        assertEquals(name(source), p.getText(), file.toString());
                        break;
                    case "target":
                        assertEquals(name(target), p.getText(), file.toString());
                        break;
                    case "steps":
                        while (p.nextToken() == JsonToken.START_ARRAY) {
                            if (n == inputs.length) {
                                inputs = Arrays.copyOf(inputs, n * 2);
                                outputs = Arrays.copyOf(outputs, n * 2);
                            }
                            p.nextToken();
                            inputs[n] = p.getLongValue();
                            p.nextToken();
                            outputs[n] = p.getIntValue();
                            assertEquals(JsonToken.END_ARRAY, p.nextToken());
                            n++;
                        }
                        break;
                    default:
                        p.skipChildren();
                        break;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertTrue(torch != null && torch.startsWith("2."), file + ": torch " + torch);
        assertFalse(truncated == null || truncated, file + " is truncated");
        assertEquals(0, inputs[0], file + ": the first step must start at input 0");
        for (int i = 1; i < n; i++) {
            assertTrue(inputs[i] > inputs[i - 1], file + ": steps out of order at " + i);
        }
        return new Table(source, target, torch, Arrays.copyOf(inputs, n), Arrays.copyOf(outputs, n));
    }

    /** One conversion's steps. */
    static final class Table {
        final DType source;
        final DType target;
        final String torch;
        private final long[] inputs;
        private final int[] outputs;

        Table(DType source, DType target, String torch, long[] inputs, int[] outputs) {
            this.source = source;
            this.target = target;
            this.torch = torch;
            this.inputs = inputs;
            this.outputs = outputs;
        }

        /** torch's output bits for the input bits {@code input} (unsigned). */
        int at(long input) {
            int i = Arrays.binarySearch(inputs, input);
            return outputs[i >= 0 ? i : -i - 2];
        }

        /** A cursor for inputs visited in increasing order, from {@code first} on. */
        Walker walker(long first) {
            return new Walker(first);
        }

        /**
         * The loss counts torch's conversion makes over all inputs from {@code first} to {@code
         * last} (unsigned, inclusive), from the steps alone: NaN and infinite inputs, finite
         * inputs that became infinite or NaN (overflows), non-zero finite inputs that became zero.
         */
        String counts(long first, long last) {
            int bits = source.bits();
            long sign = 1L << (bits - 1);
            long infinity = infinityBits(source);
            long nan = 0;
            long inf = 0;
            long over = 0;
            long under = 0;
            for (long half = 0; half <= sign; half += sign) {
                // per sign: [1, infinity - 1] finite non-zero, infinity, [infinity + 1, sign - 1] NaN
                nan += overlap(first, last, half + infinity + 1, half + sign - 1);
                inf += overlap(first, last, half + infinity, half + infinity);
                for (int k = 0; k < inputs.length; k++) {
                    long from = inputs[k];
                    long to = k + 1 < inputs.length ? inputs[k + 1] - 1 : (1L << bits) - 1;
                    long n = overlap(Math.max(first, from), Math.min(last, to), half + 1, half + infinity - 1);
                    if (n == 0) {
                        continue;
                    }
                    if (isZero(target, outputs[k])) {
                        under += n;
                    } else if (isNaNOrInfinity(target, outputs[k])) {
                        over += n;
                    }
                }
            }
            return "nanInputs=" + nan + ", infinityInputs=" + inf + ", overflows=" + over + ", underflows=" + under;
        }

        /** Walks the steps alongside inputs that only grow: one pass, no search. */
        final class Walker {
            private int step;

            private Walker(long first) {
                int i = Arrays.binarySearch(inputs, first);
                step = i >= 0 ? i : -i - 2;
            }

            /** torch's output for {@code input}, which must be at or above the previous one. */
            int at(long input) {
                while (step + 1 < inputs.length && inputs[step + 1] <= input) {
                    step++;
                }
                return outputs[step];
            }
        }
    }

    private static long overlap(long a, long b, long c, long d) {
        long lo = Math.max(a, c);
        long hi = Math.min(b, d);
        return hi >= lo ? hi - lo + 1 : 0;
    }

    /** The bits of +infinity of a source type (float8 sources are not in the oracle). */
    static long infinityBits(DType type) {
        switch (type) {
            case F32: return 0x7F80_0000L;
            case F16: return 0x7C00;
            case BF16: return 0x7F80;
            default: throw new IllegalArgumentException(type.toString());
        }
    }

    /** True if {@code bits} of {@code type} are ±0. */
    static boolean isZero(DType type, int bits) {
        return (bits & ((1 << (type.bits() - 1)) - 1)) == 0;
    }

    /** True if {@code bits} of {@code type} are ±infinity or NaN (e4m3fn has NaN only: 0x7F, 0xFF). */
    static boolean isNaNOrInfinity(DType type, int bits) {
        int magnitude = bits & ((1 << (type.bits() - 1)) - 1);
        switch (type) {
            case F16: return magnitude >= 0x7C00;
            case BF16: return magnitude >= 0x7F80;
            case F8_E4M3: return magnitude == 0x7F;
            case F8_E5M2: return magnitude >= 0x7C;
            default: throw new IllegalArgumentException(type.toString());
        }
    }

    /** True if {@code bits} of the source type {@code type} are NaN. */
    static boolean isNaN(DType type, long bits) {
        long magnitude = bits & ((1L << (type.bits() - 1)) - 1);
        return magnitude > infinityBits(type);
    }
}
