; Inno Setup 6 script: the Windows installer around the PyInstaller folder.
; The release workflow (.github/workflows/release.yml) runs, from the repository root:
;   python packaging/make_icons.py ico
;   python -m PyInstaller --noconfirm packaging/stream-console.spec
;   iscc packaging\windows\stream-console.iss
; -> dist\StreamConsole-<version>-setup.exe
; Name, version, publisher and licence match console/identity.py (tests/test_identity.py checks
; this file); bump AppVersion with console/__init__.py.

#define AppName "Stream Console"
#define AppCommand "stream-console"
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppPublisher "Stream Console founders"
#define AppLicence "Proprietary"

[Setup]
; A fixed AppId: a newer version replaces the older one instead of installing beside it.
AppId={{6F1E7C2A-3B5D-4E8F-9A10-5C2D7B8E4F31}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
AppCopyright=Copyright (C) {#AppPublisher}. Licence: {#AppLicence}
AppSupportURL=https://www.plivo.com/docs/voice/api/stream/
VersionInfoVersion={#AppVersion}
VersionInfoProductName={#AppName}
VersionInfoDescription={#AppName} installer
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
UninstallDisplayName={#AppName} {#AppVersion}
UninstallDisplayIcon={app}\{#AppCommand}.exe
; Per-user by default (no administrator needed); an administrator may choose all users.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
SourceDir=..\..
OutputDir=dist
OutputBaseFilename=StreamConsole-{#AppVersion}-setup
SetupIconFile=packaging\stream-console.ico
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
DisableProgramGroupPage=yes

[Files]
Source: "dist\{#AppCommand}\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppCommand}.exe"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppCommand}.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; Flags: unchecked

[Run]
Filename: "{app}\{#AppCommand}.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
