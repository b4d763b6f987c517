/**
 * Two branches of a tree side by side from where they part (compare-branches). Placeholder: the full view (paged
 * tails, totals, open either side) replaces it.
 */
import type { Api } from '../api';

export interface CompareViewProps {
  api: Api;
  chatId: string;
  otherChatId: string;
  /** Open a chat (and scroll to a pair) in the chat view. */
  onOpen: (chatId: string, responseId?: string | null) => void;
  onClose: () => void;
}

export function CompareView({ chatId, otherChatId, onClose }: CompareViewProps) {
  return (
    <section data-testid="compare" aria-label="compare branches">
      <p>
        Comparing {chatId} with {otherChatId}
      </p>
      <button type="button" onClick={onClose}>
        Close
      </button>
    </section>
  );
}
