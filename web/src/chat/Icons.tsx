/** Small line icons (inline SVG: no icon font, nothing fetched, nothing inline-styled), sized by chat.css. */
import type { ReactNode } from 'react';

function Svg({ children }: { children: ReactNode }) {
  return (
    <svg className="ico" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      {children}
    </svg>
  );
}

export const CopyIcon = () => (
  <Svg>
    <rect x="9" y="9" width="11" height="11" rx="2" />
    <path d="M5 15V5a2 2 0 0 1 2-2h8" />
  </Svg>
);
export const CheckIcon = () => (
  <Svg>
    <path d="M5 12.5l4.5 4.5L19 7.5" />
  </Svg>
);
export const EditIcon = () => (
  <Svg>
    <path d="M4 20h4L19 9l-4-4L4 16v4z" />
    <path d="M13.5 6.5l4 4" />
  </Svg>
);
export const ThumbUpIcon = () => (
  <Svg>
    <path d="M7 10v10H4V10h3z" />
    <path d="M7 10l4-7a2 2 0 0 1 3 2l-1 5h6a2 2 0 0 1 2 2.3l-1.3 6A2 2 0 0 1 17.7 20H7" />
  </Svg>
);
export const ThumbDownIcon = () => (
  <Svg>
    <path d="M7 14V4H4v10h3z" />
    <path d="M7 14l4 7a2 2 0 0 0 3-2l-1-5h6a2 2 0 0 0 2-2.3l-1.3-6A2 2 0 0 0 17.7 4H7" />
  </Svg>
);
export const RegenerateIcon = () => (
  <Svg>
    <path d="M20 12a8 8 0 1 1-2.3-5.7" />
    <path d="M20 4v5h-5" />
  </Svg>
);
export const SendIcon = () => (
  <Svg>
    <path d="M12 19V5" />
    <path d="M6 11l6-6 6 6" />
  </Svg>
);
export const StopIcon = () => (
  <svg className="ico" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
    <rect className="filled" x="7" y="7" width="10" height="10" rx="1.5" />
  </svg>
);
export const MoreIcon = () => (
  <Svg>
    <path d="M5 12h.01M12 12h.01M19 12h.01" />
  </Svg>
);
