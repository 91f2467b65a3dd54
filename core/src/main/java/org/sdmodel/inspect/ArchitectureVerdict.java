package org.sdmodel.inspect;

import java.util.List;
import java.util.Objects;

/**
 * What {@link ArchitectureDetector} decided, and why.
 *
 * @param architecture the verdict
 * @param decidingKeys the state-dict keys whose presence or shape decided it, most telling first
 *     (empty for {@link Architecture#UNKNOWN} when nothing was recognised)
 * @param reason one line saying what those keys show
 */
public record ArchitectureVerdict(Architecture architecture, List<String> decidingKeys, String reason) {

    /**
     * Creates the record, checking and copying its components.
     *
     * @param architecture the verdict
     * @param decidingKeys the state-dict keys whose presence or shape decided it, most telling first
     *     (empty for {@link Architecture#UNKNOWN} when nothing was recognised)
     * @param reason one line saying what those keys show
     */
    public ArchitectureVerdict {
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(reason, "reason");
        decidingKeys = List.copyOf(decidingKeys);
    }
}
