package org.sdmodel.engine;

/**
 * What {@link ModelWriter} reports while it works: a phase begins with the number of bytes it
 * will go through, then {@link #advance} is called (from worker threads) as they are done.
 */
public interface WriteProgress {
    /** No reporting. */
    WriteProgress NONE = new WriteProgress() {
        @Override
        public void advance(long bytes) {
        }
    };

    /**
     * {@code phase} starts; {@code totalBytes} is what {@link #advance} will add up to (0 if it reports none).
     *
     * @param phase the phase
     * @param totalBytes the bytes the phase will report in all, or 0
     */
    default void begin(WritePhase phase, long totalBytes) {
    }

    /**
     * {@code bytes} more are done; thread-safe implementations only.
     *
     * @param bytes how many bytes
     */
    void advance(long bytes);

    /**
     * {@code phase} is over.
     *
     * @param phase the phase
     */
    default void end(WritePhase phase) {
    }
}
