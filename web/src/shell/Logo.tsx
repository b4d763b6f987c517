/** branchat's mark: a conversation line that forks (drawn with the accent colour, decorative). */
export function Logo({ size = 28 }: { size?: number }) {
  return (
    <svg className="logo" width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="8" className="logo-bg" />
      <path d="M11 8v16M11 16c0-4 3-6 10-6" className="logo-line" />
      <circle cx="11" cy="8" r="2.4" className="logo-dot" />
      <circle cx="11" cy="24" r="2.4" className="logo-dot" />
      <circle cx="21" cy="10" r="2.4" className="logo-dot" />
    </svg>
  );
}
