package org.sdmodel.install;

import java.io.IOException;

/** {@code install-v2} refused to install, for a {@link Reason}; nothing was changed. */
public class InstallException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Why the install was refused. */
    public enum Reason {
        /** The folder does not look like a web UI install. */
        NOT_A_WEBUI,
        /** No checkpoint was given and none was found in the usual places. */
        NO_CHECKPOINT,
        /** The checkpoint is not an SD 2.x model (SD 1.x, SDXL, a LoRA...). */
        WRONG_MODEL,
        /** The checkpoint is an eps-prediction model and no config was given. */
        NOT_A_V_MODEL,
        /** The given config is not a usable LatentDiffusion YAML, or does not suit the checkpoint. */
        BAD_CONFIG,
        /** A different file already has the target's name and --force was not given. */
        TARGET_EXISTS,
        /** Not enough free space for the copy. */
        NO_SPACE,
        /** A download address that names no checkpoint file ({@code .ckpt} or {@code .safetensors}). */
        BAD_URL
    }

    private final Reason reason;

    public InstallException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
