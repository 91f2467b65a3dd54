package org.sdmodel;

import java.nio.file.*;
import java.util.*;

public class SmokeMain {
    public static void main(String[] args) throws Exception {
        for (String a : args) {
            try (ModelFile m = ModelFile.open(Path.of(a))) {
                StateDict sd = m.stateDict();
                System.out.println(a + ": " + m.format() + " loc=" + sd.location() + " tensors=" + sd.tensors().size()
                   + " skipped=" + sd.skipped().size() + " others=" + sd.otherTopLevelEntries().keySet());
                int i = 0;
                for (var e : sd.tensors().entrySet()) {
                    var t = e.getValue();
                    var buf = t.byteSize() < 1<<24 ? t.readAll(1<<24) : null;
                    String h = buf == null ? "-" : hex(java.security.MessageDigest.getInstance("SHA-256").digest(toArr(buf)));
                    if (i++ < 3) System.out.println("   " + e.getKey() + " " + Tensor.describe(t) + " " + h.substring(0, Math.min(16,h.length())));
                }
            } catch (Exception e) {
                System.out.println(a + ": ERROR " + e);
            }
        }
    }
    static byte[] toArr(java.nio.ByteBuffer b) { byte[] x = new byte[b.remaining()]; b.get(x); return x; }
    static String hex(byte[] d) { StringBuilder sb = new StringBuilder(); for (byte x : d) sb.append(String.format("%02x", x)); return sb.toString(); }
}
