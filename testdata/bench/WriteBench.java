// Positional writes against a memory-mapped output: how fast THREADS workers fill a new file of MB
// megabytes in 2 MiB chunks, and how long forcing it to disk then takes. The README's Performance
// section has the figures; sdmodel writes positionally (FileChannel.write(buffer, position)).
//
//   java testdata/bench/WriteBench.java pos|mmap THREADS MB FILE      (FILE must not exist; deleted after)
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

public class WriteBench {
    static final int CHUNK = 2 << 20;
    static final long REGION = 1L << 30; // a mapping is at most 2 GiB: map the file in 1 GiB regions

    public static void main(String[] args) throws Exception {
        boolean mapped = args[0].equals("mmap");
        int threads = Integer.parseInt(args[1]);
        long size = Long.parseLong(args[2]) << 20;
        Path file = Path.of(args[3]);
        long chunks = size / CHUNK;
        AtomicLong next = new AtomicLong();
        long start = System.nanoTime();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            List<MappedByteBuffer> regions = new ArrayList<>();
            if (mapped) {
                for (long at = 0; at < size; at += REGION) {
                    regions.add(channel.map(FileChannel.MapMode.READ_WRITE, at, Math.min(REGION, size - at)));
                }
            }
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Thread w = new Thread(() -> {
                    ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK);
                    for (int i = 0; i < CHUNK; i += 8) {
                        chunk.putLong(i, i * 31L);
                    }
                    try {
                        for (long i; (i = next.getAndIncrement()) < chunks; ) {
                            long at = i * CHUNK;
                            chunk.clear();
                            if (mapped) {
                                regions.get((int) (at / REGION)).slice((int) (at % REGION), CHUNK).put(chunk);
                            } else {
                                while (chunk.hasRemaining()) {
                                    channel.write(chunk, at + chunk.position());
                                }
                            }
                        }
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                w.start();
                workers.add(w);
            }
            for (Thread w : workers) {
                w.join();
            }
            long written = System.nanoTime();
            if (mapped) {
                for (MappedByteBuffer r : regions) {
                    r.force();
                }
            } else {
                channel.force(false);
            }
            long forced = System.nanoTime();
            System.out.printf("%s, %d threads, %d MB: written in %.0f ms, forced in %.0f ms%n", args[0], threads,
                    size >> 20, (written - start) / 1e6, (forced - written) / 1e6);
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
