package org.sdmodel.webui;

import java.util.ArrayList;
import java.util.List;

/**
 * Python's {@code shlex.split(s)} (posix mode, no comments), which is how the web UI turns
 * {@code COMMANDLINE_ARGS} into arguments ({@code sys.argv += shlex.split(commandline_args)} in
 * {@code modules/paths_internal.py}). Written from CPython's {@code Lib/shlex.py} state machine:
 * whitespace separates words; single quotes keep everything; inside double quotes a backslash
 * escapes only {@code "} and {@code \}; outside quotes a backslash takes the next character as it
 * is. So {@code D:\models} unquoted becomes {@code D:models}, as it does for the web UI on Windows.
 */
final class ShellWords {
    private static final String WHITESPACE = " \t\r\n";

    private ShellWords() {
    }

    /** Why a string cannot be split; the message is Python's ({@code "No closing quotation"}). */
    static final class SplitException extends Exception {
        private static final long serialVersionUID = 1L;

        SplitException(String message) {
            super(message);
        }
    }

    static List<String> split(String s) throws SplitException {
        List<String> words = new ArrayList<>();
        StringBuilder token = new StringBuilder();
        boolean quoted = false; // a quote was seen in this token: "" is a word of its own
        char state = ' ';       // ' ' between words, 'a' in a word, '\'' or '"' in quotes, '\\' after an escape
        char escapedState = ' ';
        for (int i = 0; i <= s.length(); i++) {
            boolean end = i == s.length();
            char c = end ? 0 : s.charAt(i);
            switch (state) {
                case ' ':
                case 'a':
                    if (end || WHITESPACE.indexOf(c) >= 0) {
                        if (token.length() > 0 || quoted) {
                            words.add(token.toString());
                        }
                        token.setLength(0);
                        quoted = false;
                        state = ' ';
                    } else if (c == '\\') {
                        escapedState = 'a';
                        state = '\\';
                    } else if (c == '\'' || c == '"') {
                        state = c;
                    } else {
                        token.append(c);
                        state = 'a';
                    }
                    break;
                case '\'':
                case '"':
                    quoted = true;
                    if (end) {
                        throw new SplitException("No closing quotation");
                    }
                    if (c == state) {
                        state = 'a';
                    } else if (c == '\\' && state == '"') {
                        escapedState = state;
                        state = '\\';
                    } else {
                        token.append(c);
                    }
                    break;
                default: // after a backslash
                    if (end) {
                        throw new SplitException("No escaped character");
                    }
                    // In double quotes only the quote and the backslash itself are escaped.
                    if (escapedState == '"' && c != '\\' && c != '"') {
                        token.append('\\');
                    }
                    token.append(c);
                    state = escapedState;
            }
        }
        return words;
    }
}
