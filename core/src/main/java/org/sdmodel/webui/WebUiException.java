package org.sdmodel.webui;

import java.io.IOException;

/**
 * sdmodel refused to do something to a web UI install, for a {@link Reason}; nothing was changed.
 * The message is one line naming the file, folder, flag or launch line concerned.
 */
public class WebUiException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Why sdmodel refused. */
    public enum Reason {
        /** The folder does not look like a web UI install. */
        NOT_A_WEBUI,
        /** A line of the launch configuration that sdmodel cannot read decides the folder needed. */
        LAUNCH_CONFIG,
        /** A folder flag points to a folder that does not exist. */
        MISSING_FOLDER,
        /** The file is in none of the web UI's model folders, or under a name the web UI does not list. */
        NOT_IN_A_WEBUI_FOLDER,
        /** No checkpoint was given and none was found in the usual places. */
        NO_CHECKPOINT,
        /** The checkpoint is not an SD 2.x model (SD 1.x, SDXL, a LoRA...), or not one the web UI lists. */
        WRONG_MODEL,
        /** The checkpoint is an eps-prediction model and no config was given. */
        NOT_A_V_MODEL,
        /** The given config is not a usable LatentDiffusion YAML, or does not suit the checkpoint. */
        BAD_CONFIG,
        /** A different file already has the target's name and --force was not given. */
        TARGET_EXISTS,
        /** The options do not fit the case (--move for a checkpoint already in place...). */
        USAGE,
        /** Not enough free space for the copy. */
        NO_SPACE,
        /** A download address that names no checkpoint file ({@code .ckpt} or {@code .safetensors}). */
        BAD_URL
    }

    /** The value {@link #reason()} returns. */
    private final Reason reason;

    /**
     * Creates the exception.
     *
     * @param reason why sdmodel refused
     * @param message what went wrong, one line
     */
    public WebUiException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** {@return why sdmodel refused} */
    public Reason reason() {
        return reason;
    }
}
